#include "client/demo_command.h"

#include <filesystem>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "absl/strings/str_format.h"
#include "common/overlay.h"
#include "common/png_codec.h"
#include "lsms/v1/segmentation.grpc.pb.h"
#include "server/dicom/dicom_image.h"

namespace lsms::client {

namespace fs = std::filesystem;

int RunDemo(const DemoOptions& o) {
  std::ifstream in(o.manifest);
  if (!in) {
    std::cerr << "lsms-client demo: cannot open " << o.manifest << "\n";
    return kExitInvalidInput;
  }
  (void)InitDicomCodecs();
  const fs::path root = fs::path(o.manifest).parent_path();
  fs::create_directories(o.out_dir);
  auto channel = MakeChannel(o.connection);
  if (!channel.ok()) return kExitInvalidInput;
  auto stub = lsms::v1::SegmentationService::NewStub(*channel);
  std::cout << absl::StrFormat("%-10s %-58s %6s %7s %9s %6s\n", "slice", "expression", "conf", "present",
                               "area mm2", "Dice");
  std::string line;
  int n = 0;
  double dice_sum = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded()) continue;
    const std::string image = j["image"], expr = j["expression"], mask_path = j["mask"];
    auto dicom = ReadFile((root / image).string());
    auto truth_png = ReadFile((root / mask_path).string());
    if (!dicom.ok() || !truth_png.ok()) {
      std::cerr << "lsms-client demo: missing sample file for " << image << "\n";
      return kExitInvalidInput;
    }
    lsms::v1::SegmentRequest req;
    req.set_request_id(absl::StrFormat("demo-%d", n));
    req.set_dicom(*dicom);
    req.set_expression(expr);
    req.mutable_output()->set_mask_encoding(lsms::v1::MASK_ENCODING_RAW);
    lsms::v1::SegmentResponse r;
    grpc::ClientContext ctx;
    PrepareContext(&ctx, o.connection, o.deadline);
    grpc::Status st = stub->Segment(&ctx, req, &r);
    if (!st.ok()) {
      std::cerr << "lsms-client demo: " << image << ": " << st.error_message() << "\n";
      return ExitCodeFor(st.error_code());
    }
    auto truth = DecodePng(*truth_png);
    std::vector<uint8_t> mask(r.mask().data().begin(), r.mask().data().end());
    std::vector<uint8_t> gt(mask.size(), 0);
    if (truth.ok() && truth->pixels.size() == mask.size()) {
      for (size_t i = 0; i < gt.size(); ++i) gt[i] = truth->pixels[i] != 0;
    }
    uint64_t inter = 0, a = 0, b = 0;
    for (size_t i = 0; i < mask.size(); ++i) {
      inter += mask[i] && gt[i];
      a += mask[i] != 0;
      b += gt[i];
    }
    const double dice = a + b == 0 ? 1.0 : 2.0 * inter / static_cast<double>(a + b);
    dice_sum += dice;
    auto slice = DecodeDicom(*dicom);
    if (slice.ok()) {
      OverlayInput ov;
      ov.rows = slice->hu.rows;
      ov.cols = slice->hu.cols;
      ov.hu = &slice->hu.data;
      ov.mask = &mask;
      ov.truth = &gt;
      ov.lines = {expr, absl::StrFormat("conf %.2f present %.2f dice %.2f", r.confidence(), r.target_present(), dice)};
      auto png = EncodePng(RenderOverlay(ov));
      if (png.ok()) (void)WriteFile((fs::path(o.out_dir) / absl::StrFormat("%02d_overlay.png", n)).string(), *png);
    }
    std::cout << absl::StrFormat("%-10s %-58s %6.2f %7.2f %9s %6.3f\n", fs::path(image).stem().string(),
                                 expr.substr(0, 58), r.confidence(), r.target_present(),
                                 r.has_area_mm2() ? absl::StrFormat("%.0f", r.area_mm2()) : "-", dice);
    ++n;
  }
  std::cout << absl::StrFormat("%d expressions, mean Dice %.3f; overlays in %s/ (red: prediction, green: truth)\n",
                               n, n ? dice_sum / n : 0.0, o.out_dir);
  return kExitOk;
}

}  // namespace lsms::client

#include "client/segment_command.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include <nlohmann/json.hpp>

#include "absl/strings/str_format.h"
#include "common/overlay.h"
#include "common/png_codec.h"
#include "lsms/v1/segmentation.grpc.pb.h"
#include "server/dicom/dicom_image.h"

namespace lsms::client {
namespace {

namespace fs = std::filesystem;

bool LooksLikeDicom(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  char buf[132] = {};
  in.read(buf, sizeof(buf));
  return in.gcount() == 132 && std::string(buf + 128, 4) == "DICM";
}

nlohmann::json ToJson(const lsms::v1::SegmentResponse& r, const std::string& file) {
  nlohmann::json j = {{"file", file},
                      {"request_id", r.request_id()},
                      {"status", {{"code", r.status().code()}, {"message", r.status().message()}}},
                      {"confidence", r.confidence()},
                      {"target_present", r.target_present()},
                      {"pixel_count", r.pixel_count()},
                      {"threshold", r.threshold()},
                      {"mask", {{"width", r.mask().width()}, {"height", r.mask().height()}}},
                      {"bounding_box",
                       {{"x_min", r.bounding_box().x_min()},
                        {"y_min", r.bounding_box().y_min()},
                        {"x_max", r.bounding_box().x_max()},
                        {"y_max", r.bounding_box().y_max()}}},
                      {"model_version", r.model_version()},
                      {"timing_ms",
                       {{"queue", r.timing().queue_ms()},
                        {"preprocess", r.timing().preprocess_ms()},
                        {"inference", r.timing().inference_ms()},
                        {"postprocess", r.timing().postprocess_ms()},
                        {"total", r.timing().total_ms()},
                        {"batch_size", r.timing().batch_size()}}}};
  if (r.has_area_mm2()) j["area_mm2"] = r.area_mm2();
  for (const auto& t : r.token_relevance()) j["token_relevance"].push_back({{"token", t.token()}, {"relevance", t.relevance()}});
  return j;
}

// Writes the outputs of one successful slice. Returns false on a local I/O error.
bool WriteOutputs(const SegmentOptions& o, const fs::path& file, const std::string& dicom,
                  const lsms::v1::SegmentResponse& r) {
  const fs::path base = fs::path(o.out_dir) / file.stem();
  bool ok = WriteFile(base.string() + "_mask.png", r.mask().data()).ok();
  std::ofstream(base.string() + ".json") << ToJson(r, file.string()).dump(2) << "\n";
  if (!r.dicom_seg().empty()) ok = ok && WriteFile(base.string() + "_seg.dcm", r.dicom_seg()).ok();
  auto slice = DecodeDicom(dicom);
  auto mask_png = DecodePng(r.mask().data());
  if (slice.ok() && mask_png.ok() && mask_png->width == slice->hu.cols && mask_png->height == slice->hu.rows) {
    std::vector<uint8_t> mask(mask_png->pixels.size());
    for (size_t i = 0; i < mask.size(); ++i) mask[i] = mask_png->pixels[i] != 0;
    OverlayInput ov;
    ov.rows = slice->hu.rows;
    ov.cols = slice->hu.cols;
    ov.hu = &slice->hu.data;
    ov.mask = &mask;
    ov.lines = {o.expression, absl::StrFormat("confidence %.2f  target present %.2f", r.confidence(), r.target_present())};
    if (r.has_area_mm2()) ov.lines.push_back(absl::StrFormat("area %.0f mm2", r.area_mm2()));
    auto png = EncodePng(RenderOverlay(ov));
    ok = ok && png.ok() && WriteFile(base.string() + "_overlay.png", *png).ok();
  }
  return ok;
}

lsms::v1::SegmentRequest MakeRequest(const SegmentOptions& o, const std::string& id, std::string dicom) {
  lsms::v1::SegmentRequest req;
  req.set_request_id(id);
  req.set_dicom(std::move(dicom));
  req.set_expression(o.expression);
  if (o.threshold) req.set_threshold(*o.threshold);
  auto* out = req.mutable_output();
  out->set_mask_encoding(lsms::v1::MASK_ENCODING_PNG);
  out->set_include_dicom_seg(o.dicom_seg);
  out->set_include_probability_map(o.probability_map);
  out->set_include_token_relevance(o.token_relevance);
  return req;
}

void PrintRow(const std::string& file, const lsms::v1::SegmentResponse& r) {
  std::cout << absl::StrFormat("%-28s %-8s %10.3f %14.3f %9d %10s\n", fs::path(file).filename().string(),
                               r.status().code() == 0 ? "OK" : absl::StrCat("ERR ", r.status().code()), r.confidence(),
                               r.target_present(), r.pixel_count(),
                               r.has_area_mm2() ? absl::StrFormat("%.1f", r.area_mm2()) : "-");
}

}  // namespace

std::vector<std::string> CollectDicomFiles(const std::vector<std::string>& inputs) {
  std::vector<std::string> files;
  for (const auto& in : inputs) {
    if (fs::is_directory(in)) {
      std::vector<std::string> dir;
      for (const auto& e : fs::directory_iterator(in)) {
        if (e.is_regular_file() && LooksLikeDicom(e.path())) dir.push_back(e.path().string());
      }
      std::sort(dir.begin(), dir.end());
      files.insert(files.end(), dir.begin(), dir.end());
    } else {
      files.push_back(in);
    }
  }
  return files;
}

int RunSegment(const SegmentOptions& o) {
  if (o.expression.empty()) {
    std::cerr << "lsms-client segment: --expression is required\n";
    return kExitUsage;
  }
  const auto files = CollectDicomFiles(o.inputs);
  if (files.empty()) {
    std::cerr << "lsms-client segment: no DICOM input (give --input FILE or a folder)\n";
    return kExitUsage;
  }
  (void)InitDicomCodecs();
  std::vector<std::string> bytes;
  for (const auto& f : files) {
    auto b = ReadFile(f);
    if (!b.ok()) {
      std::cerr << "lsms-client segment: " << b.status().message() << "\n";
      return kExitInvalidInput;
    }
    bytes.push_back(std::move(*b));
  }
  fs::create_directories(o.out_dir);
  auto channel = MakeChannel(o.connection);
  if (!channel.ok()) {
    std::cerr << "lsms-client segment: " << channel.status().message() << "\n";
    return kExitInvalidInput;
  }
  auto stub = lsms::v1::SegmentationService::NewStub(*channel);
  if (!o.quiet) {
    std::cout << absl::StrFormat("%-28s %-8s %10s %14s %9s %10s\n", "file", "status", "confidence", "target_present",
                                 "pixels", "area_mm2");
  }
  int exit_code = kExitOk;
  if (files.size() == 1) {
    lsms::v1::SegmentResponse r;
    grpc::Status st;
    for (int attempt = 1;; ++attempt) {
      grpc::ClientContext ctx;
      PrepareContext(&ctx, o.connection, o.deadline);
      st = stub->Segment(&ctx, MakeRequest(o, fs::path(files[0]).filename().string(), bytes[0]), &r);
      if (st.ok() || !IsRetryable(st.error_code()) || attempt >= o.retry.max_attempts) break;
      std::this_thread::sleep_for(absl::ToChronoMilliseconds(Backoff(o.retry, attempt)));
    }
    if (!st.ok()) {
      std::cerr << "lsms-client segment: " << files[0] << ": " << st.error_message() << " (gRPC code "
                << st.error_code() << ")\n";
      return ExitCodeFor(st.error_code());
    }
    if (!o.quiet) PrintRow(files[0], r);
    if (!WriteOutputs(o, files[0], bytes[0], r)) return kExitInvalidInput;
    return kExitOk;
  }
  // A series: stream every slice, results come back as they finish.
  grpc::ClientContext ctx;
  PrepareContext(&ctx, o.connection, o.deadline * static_cast<int64_t>(files.size()));
  auto stream = stub->SegmentSeries(&ctx);
  std::thread writer([&] {
    for (size_t i = 0; i < files.size(); ++i) {
      if (!stream->Write(MakeRequest(o, std::to_string(i), bytes[i]))) break;
    }
    stream->WritesDone();
  });
  lsms::v1::SegmentResponse r;
  size_t answered = 0;
  while (stream->Read(&r)) {
    const size_t i = std::stoul(r.request_id());
    ++answered;
    if (!o.quiet) PrintRow(files[i], r);
    if (r.status().code() != 0) {
      std::cerr << "lsms-client segment: " << files[i] << ": " << r.status().message() << "\n";
      if (exit_code == kExitOk) exit_code = ExitCodeFor(static_cast<grpc::StatusCode>(r.status().code()));
      continue;
    }
    if (!WriteOutputs(o, files[i], bytes[i], r) && exit_code == kExitOk) exit_code = kExitInvalidInput;
  }
  writer.join();
  grpc::Status st = stream->Finish();
  if (!st.ok()) {
    std::cerr << "lsms-client segment: stream failed: " << st.error_message() << "\n";
    return ExitCodeFor(st.error_code());
  }
  if (answered != files.size() && exit_code == kExitOk) exit_code = kExitServerError;
  return exit_code;
}

}  // namespace lsms::client

#include "tools/synth/benchmark_writer.h"

#include <filesystem>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/png_codec.h"
#include "common/status_macros.h"
#include "model/tokenizer.h"
#include "tools/synth/dicom_writer.h"
#include "tools/synth/expression_grammar.h"
#include "tools/synth/phantom.h"

namespace lsms::synth {
namespace {

namespace fs = std::filesystem;

absl::Status WriteMask(const std::string& path, const std::vector<uint8_t>& m, int size, uint8_t on) {
  PngImage png{size, size, 1, std::vector<uint8_t>(m.size())};
  for (size_t i = 0; i < m.size(); ++i) png.pixels[i] = m[i] ? (on ? on : m[i]) : 0;
  LSMS_ASSIGN_OR_RETURN(std::string bytes, EncodePng(png));
  return WriteFile(path, bytes);
}

}  // namespace

absl::StatusOr<int> WriteBenchmark(const BenchmarkOptions& o) {
  const fs::path out = o.out_dir;
  fs::create_directories(out / "images");
  fs::create_directories(out / "masks");
  std::ofstream manifest(out / "manifest.jsonl", std::ios::trunc);
  if (!manifest) return absl::PermissionDeniedError(absl::StrCat("cannot write ", (out / "manifest.jsonl").string()));
  std::vector<std::string> corpus = GrammarCorpus(o.phrasing);
  PhantomOptions popt = o.phantom;
  popt.size = o.size;
  int expressions = 0;
  for (int i = 0; i < o.images; ++i) {
    const uint64_t s = o.seed * 1000003ull + static_cast<uint64_t>(i);
    Phantom p = GeneratePhantom(s, popt);
    // Split by image, deterministically: the last slices are val and test.
    const double pos = (i + 0.5) / o.images;
    const char* split = pos > 1.0 - o.test_fraction                     ? "test"
                        : pos > 1.0 - o.test_fraction - o.val_fraction ? "val"
                                                                         : "train";
    const std::string id = absl::StrFormat("%05d", i);
    CtSliceInfo info;
    info.spacing_mm = p.spacing_mm;
    info.patient_id = absl::StrCat("SYNTH-", id);
    info.uid_seed = s;
    LSMS_ASSIGN_OR_RETURN(std::string dcm, EncodeCtSlice(p.hu, info));
    const std::string image = absl::StrCat("images/", id, ".dcm");
    LSMS_RETURN_IF_ERROR(WriteFile((out / image).string(), dcm));
    const std::string lesions_png = absl::StrCat("masks/", id, "_lesions.png");
    const std::string liver_png = absl::StrCat("masks/", id, "_liver.png");
    LSMS_RETURN_IF_ERROR(WriteMask((out / lesions_png).string(), p.labels, p.size, 0));
    LSMS_RETURN_IF_ERROR(WriteMask((out / liver_png).string(), p.liver, p.size, 255));
    nlohmann::json lesions = nlohmann::json::array();
    for (const auto& l : p.lesions) {
      lesions.push_back({{"id", l.id}, {"diameter_mm", l.diameter_mm}, {"area_mm2", l.area_mm2},
                         {"attenuation", AttenuationName(l.attenuation)}, {"lobe", l.right_lobe ? "right" : "left"}});
    }
    auto exprs = SampleExpressions(p, s, o.expressions_per_image, o.phrasing);
    for (size_t k = 0; k < exprs.size(); ++k) {
      const auto& e = exprs[k];
      const std::string mask = absl::StrCat("masks/", id, "_e", k, ".png");
      LSMS_RETURN_IF_ERROR(WriteMask((out / mask).string(), p.MaskOf(e.targets), p.size, 255));
      nlohmann::json j = {{"image", image},          {"mask", mask},         {"expression", e.text},
                          {"kind", e.kind},          {"targets", e.targets}, {"split", split},
                          {"instances", lesions_png}, {"liver", liver_png},  {"lesions", lesions},
                          {"image_id", id}};
      if (o.phrasing != Phrasing::kLegacy) j["phrasing"] = e.held_out ? "held_out" : "seen";
      if (popt.randomize_domain) {
        j["phase"] = PhaseName(p.phase);
        j["region"] = RegionName(p.region);
        j["fatty_liver"] = p.fatty_liver;
        j["spacing_mm"] = p.spacing_mm;
      }
      manifest << j.dump() << "\n";
      corpus.push_back(e.text);
      ++expressions;
    }
    if (o.progress && ((i + 1) % 50 == 0 || i + 1 == o.images)) {
      std::cerr << "\rlsms-synth: " << (i + 1) << "/" << o.images << " slices, " << expressions << " expressions"
                << std::flush;
    }
  }
  if (o.progress) std::cerr << "\n";
  std::ofstream(out / "vocab.txt", std::ios::trunc) << Tokenizer::BuildVocab(corpus);
  return expressions;
}

}  // namespace lsms::synth

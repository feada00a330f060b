// lsms-synth: generates the synthetic referring-lesion benchmark.
//   lsms-synth --out data/synth --images 600 --seed 1
// Writes images/*.dcm, masks/*.png, manifest.jsonl and vocab.txt.
#include <filesystem>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/png_codec.h"
#include "model/tokenizer.h"
#include "tools/synth/dicom_writer.h"
#include "tools/synth/expression_grammar.h"
#include "tools/synth/phantom.h"

ABSL_FLAG(std::string, out, "data/synth", "Output folder.");
ABSL_FLAG(int, images, 600, "Number of slices.");
ABSL_FLAG(uint64_t, seed, 1, "Seed; the same seed gives the same benchmark.");
ABSL_FLAG(int, expressions_per_image, 6, "Referring expressions per slice (at most).");
ABSL_FLAG(double, val_fraction, 0.1, "Share of slices in the validation split.");
ABSL_FLAG(double, test_fraction, 0.1, "Share of slices in the test split.");
ABSL_FLAG(int, size, 512, "Slice size in pixels.");

namespace fs = std::filesystem;
using namespace lsms;

namespace {

absl::Status WriteMask(const std::string& path, const std::vector<uint8_t>& m, int size, uint8_t on) {
  PngImage png{size, size, 1, std::vector<uint8_t>(m.size())};
  for (size_t i = 0; i < m.size(); ++i) png.pixels[i] = m[i] ? (on ? on : m[i]) : 0;
  auto bytes = EncodePng(png);
  if (!bytes.ok()) return bytes.status();
  return WriteFile(path, *bytes);
}

int Run() {
  const fs::path out = absl::GetFlag(FLAGS_out);
  fs::create_directories(out / "images");
  fs::create_directories(out / "masks");
  std::ofstream manifest(out / "manifest.jsonl", std::ios::trunc);
  std::vector<std::string> corpus = synth::GrammarCorpus();
  const int n = absl::GetFlag(FLAGS_images);
  const uint64_t seed = absl::GetFlag(FLAGS_seed);
  const double val = absl::GetFlag(FLAGS_val_fraction), test = absl::GetFlag(FLAGS_test_fraction);
  synth::PhantomOptions opt;
  opt.size = absl::GetFlag(FLAGS_size);
  int expressions = 0;
  for (int i = 0; i < n; ++i) {
    const uint64_t s = seed * 1000003ull + static_cast<uint64_t>(i);
    synth::Phantom p = synth::GeneratePhantom(s, opt);
    // Split by image, deterministically: the last slices are val and test.
    const double pos = (i + 0.5) / n;
    const char* split = pos > 1.0 - test ? "test" : pos > 1.0 - test - val ? "val" : "train";
    const std::string id = absl::StrFormat("%05d", i);
    synth::CtSliceInfo info;
    info.spacing_mm = p.spacing_mm;
    info.patient_id = absl::StrCat("SYNTH-", id);
    auto dcm = synth::EncodeCtSlice(p.hu, info);
    if (!dcm.ok()) {
      std::cerr << dcm.status() << "\n";
      return 1;
    }
    const std::string image = absl::StrCat("images/", id, ".dcm");
    if (auto st = WriteFile((out / image).string(), *dcm); !st.ok()) {
      std::cerr << st << "\n";
      return 1;
    }
    const std::string lesions_png = absl::StrCat("masks/", id, "_lesions.png");
    const std::string liver_png = absl::StrCat("masks/", id, "_liver.png");
    if (auto st = WriteMask((out / lesions_png).string(), p.labels, p.size, 0); !st.ok()) return 1;
    if (auto st = WriteMask((out / liver_png).string(), p.liver, p.size, 255); !st.ok()) return 1;
    nlohmann::json lesions = nlohmann::json::array();
    for (const auto& l : p.lesions) {
      lesions.push_back({{"id", l.id}, {"diameter_mm", l.diameter_mm}, {"area_mm2", l.area_mm2},
                         {"attenuation", synth::AttenuationName(l.attenuation)},
                         {"lobe", l.right_lobe ? "right" : "left"}});
    }
    auto exprs = synth::SampleExpressions(p, s, absl::GetFlag(FLAGS_expressions_per_image));
    for (size_t k = 0; k < exprs.size(); ++k) {
      const auto& e = exprs[k];
      const std::string mask = absl::StrCat("masks/", id, "_e", k, ".png");
      if (auto st = WriteMask((out / mask).string(), p.MaskOf(e.targets), p.size, 255); !st.ok()) return 1;
      nlohmann::json j = {{"image", image},       {"mask", mask},         {"expression", e.text},
                          {"kind", e.kind},       {"targets", e.targets}, {"split", split},
                          {"instances", lesions_png}, {"liver", liver_png}, {"lesions", lesions},
                          {"image_id", id}};
      manifest << j.dump() << "\n";
      corpus.push_back(e.text);
      ++expressions;
    }
    if ((i + 1) % 50 == 0 || i + 1 == n) {
      std::cerr << "\rlsms-synth: " << (i + 1) << "/" << n << " slices, " << expressions << " expressions" << std::flush;
    }
  }
  std::cerr << "\n";
  std::ofstream(out / "vocab.txt", std::ios::trunc) << Tokenizer::BuildVocab(corpus);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("Generates the synthetic referring-lesion CT benchmark.");
  absl::ParseCommandLine(argc, argv);
  return Run();
}

// lsms-ood, the independent out-of-distribution set: deterministic, densities
// of its own per phase, lesions inside the liver with their attenuation
// relative to it, no targets without liver, and never trainable.
#include <algorithm>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "server/dicom/dicom_image.h"
#include "tools/ood/ood_expressions.h"
#include "tools/ood/ood_phantom.h"
#include "tools/ood/ood_writer.h"

namespace lsms::ood {
namespace {

namespace fs = std::filesystem;

double Median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

TEST(OodTest, SameSeedSameSliceAndTheSameAnatomyInEveryPhase) {
  OodOptions o;
  o.phase = OodPhase::kArterial;
  OodSlice a = MakeOodSlice(5, o), b = MakeOodSlice(5, o);
  EXPECT_EQ(a.hu.data, b.hu.data);
  EXPECT_EQ(a.lesion_labels, b.lesion_labels);
  o.phase = OodPhase::kDelayed;
  OodSlice c = MakeOodSlice(5, o);
  EXPECT_NE(a.hu.data, c.hu.data);
  EXPECT_EQ(a.liver_mask, c.liver_mask);  // geometry is drawn before the phase's densities matter
}

TEST(OodTest, LiverDensityFollowsThePhaseAndLesionsAreRelativeToIt) {
  const std::pair<OodPhase, std::pair<double, double>> ranges[] = {{OodPhase::kUnenhanced, {45, 72}},
                                                                   {OodPhase::kArterial, {60, 90}},
                                                                   {OodPhase::kPortalVenous, {88, 132}},
                                                                   {OodPhase::kDelayed, {72, 107}}};
  int lesions = 0;
  for (const auto& [phase, range] : ranges) {
    for (uint64_t seed = 1; seed <= 10; ++seed) {
      OodOptions o;
      o.phase = phase;
      o.no_liver_chance = 0;
      OodSlice s = MakeOodSlice(seed, o);
      std::vector<double> liver;
      for (size_t i = 0; i < s.hu.data.size(); ++i) {
        if (s.liver_mask[i] && !s.lesion_labels[i]) liver.push_back(s.hu.data[i]);
        if (s.lesion_labels[i]) {
          ASSERT_TRUE(s.liver_mask[i]);
        }
      }
      const double m = Median(liver);
      EXPECT_GE(m, range.first) << OodPhaseName(phase);
      EXPECT_LE(m, range.second) << OodPhaseName(phase);
      for (const auto& l : s.lesions) {
        if (l.type == OodLesionType::kRim || l.area_px < 150) continue;
        std::vector<double> in;
        for (size_t i = 0; i < s.hu.data.size(); ++i) {
          if (s.lesion_labels[i] == l.label) in.push_back(s.hu.data[i]);
        }
        if (l.type == OodLesionType::kHypo) {
          EXPECT_LT(Median(in), m - 15);
        } else {
          EXPECT_GT(Median(in), m + 15);
        }
        ++lesions;
      }
    }
  }
  EXPECT_GT(lesions, 20);
}

TEST(OodTest, ExpressionsReferToTheRightLesions) {
  int no_liver = 0, checked = 0;
  for (uint64_t seed = 1; seed <= 60; ++seed) {
    OodOptions o;
    o.no_liver_chance = 0.2;
    OodSlice s = MakeOodSlice(seed, o);
    for (const auto& e : OodExpressions(s, seed, 6)) {
      ++checked;
      if (!s.has_liver || e.kind == "no_target" || e.kind == "other_organ") {
        EXPECT_TRUE(e.targets.empty()) << e.text;
      } else {
        EXPECT_FALSE(e.targets.empty()) << e.text;
      }
      if (e.kind == "size_rank" && e.text.find("largest") != std::string::npos) {
        double biggest = 0;
        for (const auto& l : s.lesions) biggest = std::max(biggest, l.area_px);
        ASSERT_EQ(e.targets.size(), 1u);
        EXPECT_EQ(s.lesions[e.targets[0] - 1].area_px, biggest) << e.text;
      }
    }
    no_liver += !s.has_liver;
  }
  EXPECT_GT(no_liver, 3);
  EXPECT_GT(checked, 250);
}

TEST(OodTest, WrittenSetDecodesAndIsMarkedUntrainable) {
  const fs::path dir = fs::temp_directory_path() / ("lsms_ood_" + std::to_string(::getpid()));
  OodSetOptions o;
  o.out_dir = dir.string();
  o.slices_per_phase = 2;
  o.size = 256;
  auto n = WriteOodSet(o);
  ASSERT_TRUE(n.ok()) << n.status();
  ASSERT_TRUE(InitDicomCodecs().ok());
  std::ifstream manifest(dir / "manifest.jsonl");
  std::string line;
  int rows = 0;
  std::set<std::string> phases;
  while (std::getline(manifest, line)) {
    auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["generator"], "lsms-ood");
    EXPECT_EQ(j["split"], "test");
    phases.insert(j["phase"].get<std::string>());
    std::ifstream f(dir / j["image"].get<std::string>(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    auto slice = DecodeDicom(bytes);
    ASSERT_TRUE(slice.ok()) << slice.status();
    EXPECT_EQ(slice->hu.rows, 256);
    ++rows;
  }
  EXPECT_EQ(rows, *n);
  EXPECT_EQ(phases.size(), 4u);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace lsms::ood

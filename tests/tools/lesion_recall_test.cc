#include "tools/eval/lesion_recall.h"

#include <gtest/gtest.h>

namespace lsms::eval {
namespace {

// Three lesions on a 1×10 strip: id 1 at [0,2), id 2 at [4,8), id 3 at [9].
const std::vector<uint8_t> kLabels = {1, 1, 0, 0, 2, 2, 2, 2, 0, 3};
const std::vector<LesionFacts> kFacts = {
    {1, 4.0, "hyperdense"}, {2, 30.0, "hypodense"}, {3, 8.0, "hypodense"}};

std::vector<uint8_t> Mask(std::initializer_list<int> on) {
  std::vector<uint8_t> m(10, 0);
  for (int i : on) m[i] = 1;
  return m;
}

TEST(LesionRecallTest, BinsDiametersAtTheReportedEdges) {
  EXPECT_EQ(DiameterBin(5.99), "< 6 mm");
  EXPECT_EQ(DiameterBin(6.0), "6–10 mm");
  EXPECT_EQ(DiameterBin(14.9), "10–15 mm");
  EXPECT_EQ(DiameterBin(15.0), "15–25 mm");
  EXPECT_EQ(DiameterBin(60.0), "≥ 25 mm");
}

TEST(LesionRecallTest, CountsEachTargetBySizeAndAttenuation) {
  LesionRecall r;
  r.Add("size_rank", Mask({4, 5, 6}), kLabels, {1, 2}, kFacts);  // 2 found, 1 missed (0 of 2 pixels)
  r.Add("count", Mask({9}), kLabels, {3}, kFacts);           // 3 found
  r.Add("size_rank", Mask({0}), kLabels, {1}, kFacts);           // 1 found (1 of 2 = 0.5)
  r.Add("size_rank", Mask({0, 1}), kLabels, {}, kFacts);         // no target: nothing counted
  auto j = r.ToJson();
  EXPECT_EQ(j["by_diameter"]["< 6 mm"]["targets"], 2);
  EXPECT_EQ(j["by_diameter"]["< 6 mm"]["found"], 1);
  EXPECT_EQ(j["by_diameter"]["≥ 25 mm"]["found"], 1);
  EXPECT_EQ(j["by_diameter"]["6–10 mm"]["found"], 1);
  EXPECT_EQ(j["by_attenuation"]["hypodense"]["targets"], 2);
  EXPECT_EQ(j["by_attenuation"]["hypodense"]["found"], 2);
  EXPECT_EQ(j["by_attenuation"]["hyperdense"]["found"], 1);
  EXPECT_EQ(j["by_kind"]["size_rank"]["targets"], 3);
  EXPECT_EQ(j["by_kind"]["size_rank"]["found"], 2);
  EXPECT_EQ(j["by_kind"]["count"]["found"], 1);
  const std::string md = r.ToMarkdown();
  EXPECT_NE(md.find("| < 6 mm | 2 | 1 | 0.500 |"), std::string::npos) << md;
  // Size bins in increasing order, not string order.
  EXPECT_LT(md.find("< 6 mm"), md.find("6–10 mm"));
  EXPECT_LT(md.find("6–10 mm"), md.find("≥ 25 mm"));
}

TEST(LesionRecallTest, ATargetWithoutFactsOrPixelsIsAnUnknownMiss) {
  LesionRecall r;
  r.Add("size_rank", Mask({}), kLabels, {7}, kFacts);
  auto j = r.ToJson();
  EXPECT_EQ(j["by_diameter"]["unknown"]["targets"], 1);
  EXPECT_EQ(j["by_diameter"]["unknown"]["found"], 0);
  EXPECT_EQ(j["by_attenuation"]["unknown"]["targets"], 1);
}

}  // namespace
}  // namespace lsms::eval

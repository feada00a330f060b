#include "tools/eval/selection.h"

#include <gtest/gtest.h>

namespace lsms::eval {
namespace {

// Three lesions on a 1×10 strip: id 1 at [0,2), id 2 at [4,8), id 3 at [9].
const std::vector<uint8_t> kLabels = {1, 1, 0, 0, 2, 2, 2, 2, 0, 3};

std::vector<uint8_t> Mask(std::initializer_list<int> on) {
  std::vector<uint8_t> m(10, 0);
  for (int i : on) m[i] = 1;
  return m;
}

TEST(SelectionTest, ClassifiesByLesionCoverage) {
  EXPECT_EQ(Classify(Mask({4, 5}), kLabels, {2}), Selection::kExact);  // 2 of 4 pixels = 0.5
  EXPECT_EQ(Classify(Mask({4}), kLabels, {2}), Selection::kMissed);    // 1 of 4
  EXPECT_EQ(Classify(Mask({0, 1, 4, 5, 6, 7}), kLabels, {2}), Selection::kExtra);
  EXPECT_EQ(Classify(Mask({9}), kLabels, {2}), Selection::kWrong);
  EXPECT_EQ(Classify(Mask({0, 1, 4, 5, 6, 7, 9}), kLabels, {1, 2, 3}), Selection::kExact);
  EXPECT_EQ(Classify(Mask({0, 1, 4, 5, 6, 7}), kLabels, {1, 2, 3}), Selection::kMissed);
}

TEST(SelectionTest, NoTargetIsExactOnlyWhenNothingIsSelected) {
  EXPECT_EQ(Classify(Mask({}), kLabels, {}), Selection::kExact);
  EXPECT_EQ(Classify(Mask({2, 3}), kLabels, {}), Selection::kExact);  // background only
  EXPECT_EQ(Classify(Mask({9}), kLabels, {}), Selection::kExtra);
}

TEST(SelectionTest, ATargetMissingFromTheLabelsIsMissed) {
  EXPECT_EQ(Classify(Mask({4, 5, 6, 7}), kLabels, {2, 7}), Selection::kMissed);
}

TEST(SelectionTest, ReadsEachCandidateAsTheLesionCoveringMostOfIt) {
  // Lesion 2 at [4,8): a candidate [3,8) is 4/5 lesion 2; [7,10) is a third
  // lesion 2, a third lesion 3, a third background: spurious.
  auto r = ReadCandidates({Mask({3, 4, 5, 6, 7}), Mask({7, 8, 9}), Mask({0, 1})}, kLabels);
  EXPECT_EQ(r.lesions, (std::set<int>{1, 2}));
  EXPECT_EQ(r.spurious, 1);
  // Exactly half is not more than half.
  EXPECT_EQ(ReadCandidates({Mask({1, 2})}, kLabels).spurious, 1);
  EXPECT_TRUE(ReadCandidates({}, kLabels).lesions.empty());
}

TEST(SelectionTest, AccumulatesSharesByKind) {
  SelectionAccumulator a;
  a.Add("location", Selection::kExact);
  a.Add("location", Selection::kWrong);
  a.Add("count", Selection::kMissed);
  auto j = a.ToJson();
  EXPECT_EQ(j["overall"]["exact"], 1);
  EXPECT_EQ(j["location"]["missed_and_extra"], 1);
  EXPECT_EQ(j["count"]["missed_target"], 1);
  const std::string md = a.ToMarkdown();
  EXPECT_NE(md.find("| location | 2 | 0.500 | 0.000 | 0.000 | 0.500 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| all | 3 |"), std::string::npos) << md;
}

}  // namespace
}  // namespace lsms::eval

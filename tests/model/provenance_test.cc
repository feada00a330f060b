#include "model/provenance.h"

#include <gtest/gtest.h>

namespace lsms {
namespace {

TEST(ProvenanceTest, RunsRoundTripAndOlderCheckpointsCallThemLegs) {
  Provenance p;
  p.version = "nano-x";
  p.data = "manifest m.jsonl";
  p.runs = {"run 1: steps 0..10", "run 2: steps 10..20"};
  auto back = Provenance::FromJson(p.ToJson());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->runs, p.runs);
  auto old = Provenance::FromJson(R"({"version": "v", "legs": ["leg 1: steps 0..5"]})");
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->runs, std::vector<std::string>{"leg 1: steps 0..5"});
  EXPECT_EQ(p.Summary(), "nano-x; 2 training run(s), the last: run 2: steps 10..20; data: manifest m.jsonl");
}

}  // namespace
}  // namespace lsms

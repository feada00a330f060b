// The expression grammar: the legacy benchmark's expressions unchanged, the
// extended grammar's seen/held-out split, and other-organ questions.
#include <set>

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "tools/synth/expression_grammar.h"
#include "tools/synth/lexicon.h"
#include "tools/synth/phantom.h"

namespace lsms::synth {
namespace {

TEST(ExpressionGrammarTest, LegacyGrammarUnchanged) {
  // Printed by the grammar before the extended lexicon existed, over the same
  // phantoms: the benchmark's seeds keep giving the same expressions.
  uint64_t h = 1469598103934665603ull;
  size_t n = 0;
  for (uint64_t seed = 1; seed <= 60; ++seed) {
    PhantomOptions o;
    o.size = 256;
    Phantom p = GeneratePhantom(seed, o);
    for (const auto& e : SampleExpressions(p, seed, 6)) {
      for (char c : e.text + "|" + e.kind) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
      for (int t : e.targets) h = (h ^ t) * 1099511628211ull;
      EXPECT_FALSE(e.held_out);
      ++n;
    }
    for (const auto& e : AllExpressions(p, seed)) {
      for (char c : e.text) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
      ++n;
    }
  }
  EXPECT_EQ(n, 817u);
  EXPECT_EQ(h, 3582115788991783090ull);
}

// Held-out words, phrases and template marks.
bool ShowsHeldOut(const std::string& text, const std::set<std::string>& held_words) {
  for (absl::string_view w : absl::StrSplit(text, absl::ByAnyChar(" ?,"), absl::SkipEmpty())) {
    if (held_words.count(std::string(w))) return true;
  }
  const std::string padded = " " + absl::StrReplaceAll(text, {{"?", " "}, {",", " "}}) + " ";
  for (const std::string& phrase : HeldOutPhrases()) {
    if (absl::StrContains(padded, " " + phrase + " ")) return true;
  }
  return absl::StrContains(text, ", please") || absl::StartsWith(text, "where ") ||
         absl::StartsWith(text, "i would like") || absl::StartsWith(text, "could you kindly");
}

std::vector<Expression> Generate(Phrasing phrasing, int slices) {
  std::vector<Expression> all;
  for (int seed = 1; seed <= slices; ++seed) {
    PhantomOptions o;
    o.size = 256;
    o.randomize_domain = true;
    Phantom p = GeneratePhantom(seed, o);
    for (auto& e : AllExpressions(p, seed, phrasing)) all.push_back(std::move(e));
  }
  return all;
}

TEST(ExpressionGrammarTest, SeenPhrasingNeverUsesHeldOutWordsOrTemplates) {
  const auto held = HeldOutOnlyWords();
  const std::set<std::string> held_words(held.begin(), held.end());
  ASSERT_GT(held_words.size(), 20u);
  EXPECT_TRUE(held_words.count("metastasis"));
  EXPECT_TRUE(held_words.count("centimetres"));
  EXPECT_FALSE(held_words.count("lesion"));
  const auto exprs = Generate(Phrasing::kSeen, 120);
  ASSERT_GT(exprs.size(), 600u);
  std::set<std::string> words;
  for (const auto& e : exprs) {
    EXPECT_FALSE(e.held_out) << e.text;
    EXPECT_FALSE(ShowsHeldOut(e.text, held_words)) << e.text;
    for (absl::string_view w : absl::StrSplit(e.text, ' ', absl::SkipEmpty())) words.insert(std::string(w));
  }
  // The seen part is richer than the legacy grammar: British spelling,
  // fillers, questions, other organs.
  for (const char* w : {"tumour", "please", "can", "centimeters", "kidney", "spleen"}) {
    EXPECT_TRUE(words.count(w)) << w;
  }
  // The vocabulary corpus of seen phrasing has no held-out word either.
  for (const auto& line : GrammarCorpus(Phrasing::kSeen)) {
    EXPECT_FALSE(ShowsHeldOut(line, held_words)) << line;
  }
}

TEST(ExpressionGrammarTest, HeldOutPhrasingAlwaysUsesSomethingHeldOut) {
  const auto held = HeldOutOnlyWords();
  const std::set<std::string> held_words(held.begin(), held.end());
  for (const auto& e : Generate(Phrasing::kHeldOut, 60)) {
    EXPECT_TRUE(e.held_out) << e.text;
    EXPECT_TRUE(ShowsHeldOut(e.text, held_words)) << e.text;
  }
  int held_n = 0, seen_n = 0;
  for (const auto& e : Generate(Phrasing::kMixed, 60)) {
    (e.held_out ? held_n : seen_n)++;
    EXPECT_EQ(e.held_out, ShowsHeldOut(e.text, held_words)) << e.text;
  }
  EXPECT_GT(held_n, 100);
  EXPECT_GT(seen_n, 100);
}

TEST(ExpressionGrammarTest, OtherOrgansAndSlicesWithoutLiverHaveNoTarget) {
  int other = 0, no_liver = 0;
  for (int seed = 1; seed <= 80; ++seed) {
    PhantomOptions o;
    o.size = 256;
    o.randomize_domain = true;
    o.no_liver_fraction = 0.3;
    Phantom p = GeneratePhantom(seed, o);
    for (const auto& e : AllExpressions(p, seed, Phrasing::kSeen)) {
      if (e.kind == "other_organ") {
        EXPECT_TRUE(e.targets.empty()) << e.text;
        ++other;
      }
      if (p.region != Region::kLiver) {
        EXPECT_TRUE(e.targets.empty()) << e.text;
        ++no_liver;
      }
    }
  }
  EXPECT_EQ(other, 160);
  EXPECT_GT(no_liver, 20);
}

}  // namespace
}  // namespace lsms::synth

#include "model/tokenizer.h"

#include <gtest/gtest.h>

namespace lsms {
namespace {

// A tiny hand-written vocabulary: ids are line numbers.
constexpr char kVocab[] =
    "[PAD]\n[UNK]\n[CLS]\n[SEP]\n"  // 0..3
    "the\nlargest\nlesion\nin\nright\nlobe\n"  // 4..9
    ".\n,\n3\n5\ncm\n##cm\nhypo\n##dense\ncafe\n"  // 10..18
    "a\n##b\n##c\n";  // 19..21

std::unique_ptr<Tokenizer> Make() { return *Tokenizer::FromVocabText(kVocab); }

TEST(TokenizerTest, EncodesSimpleSentenceWithSpecialTokens) {
  auto t = Make();
  Encoding e = t->Encode("The largest lesion in the right lobe", 12);
  EXPECT_EQ(e.ids, (std::vector<int32_t>{2, 4, 5, 6, 7, 4, 8, 9, 3, 0, 0, 0}));
  EXPECT_EQ(e.attention_mask, (std::vector<uint8_t>{1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0}));
  EXPECT_FALSE(e.truncated);
}

TEST(TokenizerTest, SplitsPunctuationAndNumbers) {
  auto t = Make();
  EXPECT_EQ(t->BasicTokenize("3.5cm, lesion."),
            (std::vector<std::string>{"3", ".", "5cm", ",", "lesion", "."}));
  Encoding e = t->Encode("3.5cm", 8);
  // "5cm" → "5" + "##cm" by greedy longest match.
  EXPECT_EQ(e.ids, (std::vector<int32_t>{2, 12, 10, 13, 15, 3, 0, 0}));
}

TEST(TokenizerTest, StripsAccentsAndLowerCases) {
  auto t = Make();
  EXPECT_EQ(t->BasicTokenize("CAFÉ Café"), (std::vector<std::string>{"cafe", "cafe"}));
  EXPECT_EQ(t->Encode("Café", 4).ids, (std::vector<int32_t>{2, 18, 3, 0}));
}

TEST(TokenizerTest, WordPieceContinuationAndUnknown) {
  auto t = Make();
  EXPECT_EQ(t->WordPiece("hypodense"), (std::vector<std::string>{"hypo", "##dense"}));
  EXPECT_EQ(t->WordPiece("abc"), (std::vector<std::string>{"a", "##b", "##c"}));
  // No full segmentation → the whole word is [UNK].
  EXPECT_EQ(t->WordPiece("abx"), (std::vector<std::string>{"[UNK]"}));
  EXPECT_EQ(t->Encode("zebra", 4).ids, (std::vector<int32_t>{2, 1, 3, 0}));
}

TEST(TokenizerTest, CleansControlCharactersAndWhitespace) {
  auto t = Make();
  EXPECT_EQ(t->BasicTokenize("the\t\x01lesion\n\xC2\xA0 lobe"),
            (std::vector<std::string>{"the", "lesion", "lobe"}));
  // Invalid UTF-8 bytes are dropped, not passed on.
  EXPECT_EQ(t->BasicTokenize("the\xFF lobe"), (std::vector<std::string>{"the", "lobe"}));
}

TEST(TokenizerTest, SplitsCjkCharacters) {
  auto t = Make();
  EXPECT_EQ(t->BasicTokenize("肝脏lesion"), (std::vector<std::string>{"肝", "脏", "lesion"}));
}

TEST(TokenizerTest, TruncatesOverLongInput) {
  auto t = Make();
  Encoding e = t->Encode("the the the the the the the", 5);
  EXPECT_EQ(e.ids, (std::vector<int32_t>{2, 4, 4, 4, 3}));
  EXPECT_TRUE(e.truncated);
}

TEST(TokenizerTest, EmptyInputGivesClsSep) {
  auto t = Make();
  Encoding e = t->Encode("", 4);
  EXPECT_EQ(e.ids, (std::vector<int32_t>{2, 3, 0, 0}));
  EXPECT_EQ(e.tokens, (std::vector<std::string>{"[CLS]", "[SEP]"}));
}

TEST(TokenizerTest, RejectsVocabularyWithoutSpecialTokens) {
  EXPECT_FALSE(Tokenizer::FromVocabText("a\nb\n").ok());
}

TEST(TokenizerTest, BuiltVocabularyCoversCorpus) {
  std::string vocab = Tokenizer::BuildVocab({"the largest hypodense lesion", "about 3 cm"});
  auto t = *Tokenizer::FromVocabText(vocab);
  for (const char* w : {"the", "largest", "hypodense", "lesion", "about", "cm"}) {
    EXPECT_GE(t->TokenId(w), 0) << w;
  }
  // Unseen ASCII words still tokenise via single characters, never [UNK].
  Encoding e = t->Encode("xyzzy", 16);
  for (size_t i = 0; i < e.tokens.size(); ++i) EXPECT_NE(e.tokens[i], "[UNK]");
}

}  // namespace
}  // namespace lsms

// The pretrained text encoder: all-MiniLM-L6-v2 as installed from the Python
// package index (scripts/install-deps --with-pretrained) loads bit-exactly by
// name into TextEncoder, and its vocabulary covers the held-out phrasing the
// grammar's own vocabulary never saw.
#include "model/pretrained_text.h"

#include <cstring>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "absl/strings/match.h"
#include "model/checkpoint.h"
#include "model/safetensors.h"
#include "model/text_encoder.h"
#include "model/tokenizer.h"

namespace lsms {
namespace {

namespace fs = std::filesystem;

TEST(PretrainedTextTest, MiniLmReadsAsASixLayerBertOf384) {
  auto t = ReadPretrainedText(LSMS_PRETRAINED_TEXT_DIR);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->hidden, 384);
  EXPECT_EQ(t->layers, 6);
  EXPECT_EQ(t->heads, 12);
  EXPECT_EQ(t->ffn, 1536);
  EXPECT_EQ(t->vocab_size, 30522);
  ModelConfig c = *ModelConfig::FromPreset("nano");
  ApplyPretrainedText(*t, &c);
  EXPECT_EQ(c.text_width, 384);
  EXPECT_EQ(c.text_dim, 128);  // what the vision encoder and decoder read is unchanged
  EXPECT_EQ(c.vocab_size, 30522);
  auto back = ModelConfig::FromJson(c.ToJson());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->text_width, 384);
}

TEST(PretrainedTextTest, WeightsLoadBitExactlyByName) {
  auto t = ReadPretrainedText(LSMS_PRETRAINED_TEXT_DIR);
  ASSERT_TRUE(t.ok()) << t.status();
  ModelConfig c = *ModelConfig::FromPreset("nano");
  ApplyPretrainedText(*t, &c);
  TextEncoder enc(c);
  auto file = SafetensorsFile::Load(t->weights_path);
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_TRUE(LoadBertWeights(*file, *enc).ok());
  int compared = 0;
  for (const auto& p : enc->named_parameters()) {
    if (absl::StartsWith(p.key(), "proj.")) continue;
    auto it = file->tensors.find(p.key());
    ASSERT_NE(it, file->tensors.end()) << p.key();
    ASSERT_EQ(it->second.dtype, DType::kF32) << p.key();
    auto want = it->second.ToFloat();
    ASSERT_TRUE(want.ok());
    torch::Tensor got = p.value().contiguous();
    ASSERT_EQ(got.numel(), static_cast<int64_t>(want->size())) << p.key();
    EXPECT_EQ(std::memcmp(got.data_ptr<float>(), want->data(), want->size() * sizeof(float)), 0) << p.key();
    ++compared;
  }
  // Embeddings (3 tables + LayerNorm) and 6 layers of 16 tensors.
  EXPECT_EQ(compared, 5 + 6 * 16);
  ASSERT_TRUE(enc->proj);
  EXPECT_EQ(enc->proj->weight.sizes(), (std::vector<int64_t>{128, 384}));
  // Word features come out at text_dim.
  torch::NoGradGuard no_grad;
  enc->eval();
  auto ids = torch::tensor({{101, 2922, 102}}, torch::kLong);  // [CLS] largest [SEP] (vocab.txt lines 102, 2923, 103)
  auto words = enc->forward(ids, torch::ones({1, 3}));
  EXPECT_EQ(words.sizes(), (std::vector<int64_t>{1, 3, 128}));
}

TEST(PretrainedTextTest, VocabularyCoversPhrasingTheGrammarNeverUsed) {
  auto t = ReadPretrainedText(LSMS_PRETRAINED_TEXT_DIR);
  ASSERT_TRUE(t.ok()) << t.status();
  auto tok = Tokenizer::FromVocabText(t->vocab);
  ASSERT_TRUE(tok.ok()) << tok.status();
  for (const char* text : {"the largest metastasis in the right hemiliver", "about 3 centimetres",
                           "please outline the hypo-dense tumour", "where is the adrenal nodule?"}) {
    auto enc = (*tok)->Encode(text, 32);
    int unknown = 0;
    for (size_t k = 0; k < enc.ids.size(); ++k) unknown += enc.attention_mask[k] && enc.ids[k] == (*tok)->unk_id();
    EXPECT_EQ(unknown, 0) << text;
  }
}

TEST(PretrainedTextTest, ReadingRejectsWhatIsNotABertFolder) {
  const fs::path dir = fs::temp_directory_path() / ("lsms_pretrained_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto write = [&](const std::string& name, const std::string& text) { std::ofstream(dir / name) << text; };
  EXPECT_EQ(ReadPretrainedText(dir.string()).status().code(), absl::StatusCode::kNotFound);
  write("config.json", R"({"model_type": "roberta", "hidden_size": 8})");
  EXPECT_EQ(ReadPretrainedText(dir.string()).status().code(), absl::StatusCode::kInvalidArgument);
  write("config.json", R"({"model_type": "bert", "hidden_size": 8, "num_hidden_layers": 1,
                           "num_attention_heads": 2, "intermediate_size": 16, "vocab_size": 3})");
  write("vocab.txt", "[PAD]\n[UNK]\n");
  auto short_vocab = ReadPretrainedText(dir.string());
  EXPECT_EQ(short_vocab.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(short_vocab.status().message(), "2 tokens")) << short_vocab.status();
  write("vocab.txt", "[PAD]\n[UNK]\nliver\n");
  EXPECT_EQ(ReadPretrainedText(dir.string()).status().code(), absl::StatusCode::kNotFound);  // no weights
  fs::remove_all(dir);
}

}  // namespace
}  // namespace lsms

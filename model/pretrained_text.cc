#include "model/pretrained_text.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"

namespace lsms {
namespace {

namespace fs = std::filesystem;

absl::StatusOr<std::string> Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", p.string()));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

absl::StatusOr<PretrainedText> ReadPretrainedText(const std::string& dir) {
  const fs::path root = dir;
  auto config_text = Slurp(root / "config.json");
  if (!config_text.ok()) return config_text.status();
  auto j = nlohmann::json::parse(*config_text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(dir, "/config.json is not JSON"));
  }
  PretrainedText t;
  t.dir = dir;
  t.name = j.value("_name_or_path", root.filename().string());
  if (j.value("model_type", "") != "bert") {
    return absl::InvalidArgumentError(absl::StrCat(dir, ": model_type is '", j.value("model_type", ""),
                                                   "', only BERT-layout encoders load"));
  }
  if (j.value("hidden_act", "gelu") != "gelu" || j.value("position_embedding_type", "absolute") != "absolute") {
    return absl::InvalidArgumentError(absl::StrCat(dir, ": needs GELU and absolute position embeddings"));
  }
  t.hidden = j.value("hidden_size", 0);
  t.layers = j.value("num_hidden_layers", 0);
  t.heads = j.value("num_attention_heads", 0);
  t.ffn = j.value("intermediate_size", 0);
  t.vocab_size = j.value("vocab_size", 0);
  t.max_position = j.value("max_position_embeddings", 512);
  t.type_vocab_size = j.value("type_vocab_size", 2);
  if (t.hidden <= 0 || t.layers <= 0 || t.heads <= 0 || t.ffn <= 0 || t.vocab_size <= 0 || t.hidden % t.heads) {
    return absl::InvalidArgumentError(absl::StrCat(dir, "/config.json: bad sizes"));
  }
  auto vocab = Slurp(root / "vocab.txt");
  if (!vocab.ok()) return vocab.status();
  t.vocab = *std::move(vocab);
  const auto lines = std::count(t.vocab.begin(), t.vocab.end(), '\n') + (t.vocab.empty() || t.vocab.back() == '\n' ? 0 : 1);
  if (lines != t.vocab_size) {
    return absl::InvalidArgumentError(
        absl::StrCat(dir, ": vocab.txt has ", lines, " tokens, config.json says ", t.vocab_size));
  }
  t.weights_path = (root / "model.safetensors").string();
  if (!fs::exists(t.weights_path)) return absl::NotFoundError(absl::StrCat("no ", t.weights_path));
  return t;
}

void ApplyPretrainedText(const PretrainedText& t, ModelConfig* c) {
  c->text_width = t.hidden == c->text_dim ? 0 : t.hidden;
  c->text_layers = t.layers;
  c->text_heads = t.heads;
  c->text_ffn = t.ffn;
  c->vocab_size = t.vocab_size;
  c->max_position = t.max_position;
  c->type_vocab_size = t.type_vocab_size;
}

}  // namespace lsms

#include "tests/model/test_checkpoint.h"

#include <unistd.h>

#include <filesystem>
#include <stdexcept>

#include <torch/torch.h>

#include "model/checkpoint.h"
#include "model/tokenizer.h"
#include "tools/synth/expression_grammar.h"

namespace lsms::testing {

std::string WriteTestCheckpoint(const std::string& name, const std::string& version, int seed) {
  CheckpointInfo info;
  info.vocab = Tokenizer::BuildVocab(synth::GrammarCorpus());
  info.config = *ModelConfig::FromPreset("nano");
  info.config.input_size = 64;
  info.config.vocab_size = (*Tokenizer::FromVocabText(info.vocab))->vocab_size();
  info.provenance.version = version;
  // Private provenance (GetModelInfo shows it to admin callers only).
  info.provenance.training_command = "lsms-train --out /private/runs/test";
  info.provenance.data = "/private/data/test";
  torch::manual_seed(seed);
  LsmsNet net(info.config);
  const std::string path =
      (std::filesystem::temp_directory_path() / (name + std::to_string(::getpid()) + ".safetensors")).string();
  if (!SaveCheckpoint(path, *net, info).ok()) throw std::runtime_error("cannot write " + path);
  return path;
}

}  // namespace lsms::testing

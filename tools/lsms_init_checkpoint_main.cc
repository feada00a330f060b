// lsms-init-checkpoint: writes an UNTRAINED checkpoint of a preset (random
// weights from a seed) with a vocabulary built from the expression grammar.
// For smoke tests and as the starting point of training; its provenance says
// it is untrained.
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "common/flags_usage.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/png_codec.h"
#include "model/checkpoint.h"
#include "model/tokenizer.h"
#include "tools/synth/expression_grammar.h"

#include <torch/torch.h>

ABSL_FLAG(std::string, preset, "nano", "nano, tiny or base.");
ABSL_FLAG(std::string, vocab, "", "vocab.txt; empty = built from the expression grammar.");
ABSL_FLAG(std::string, out, "lsms-untrained.safetensors", "Output checkpoint.");
ABSL_FLAG(uint64_t, seed, 1, "Initialisation seed.");
ABSL_FLAG(int, input_size, 0, "Override the preset's input size (multiple of 32); 0 keeps it.");

int main(int argc, char** argv) {
  lsms::InitFlagsUsage("Writes an untrained checkpoint of a preset with the grammar's vocabulary.");
  absl::ParseCommandLine(argc, argv);
  auto config = lsms::ModelConfig::FromPreset(absl::GetFlag(FLAGS_preset));
  if (!config.ok()) {
    std::cerr << config.status() << "\n";
    return 2;
  }
  std::string vocab;
  if (absl::GetFlag(FLAGS_vocab).empty()) {
    vocab = lsms::Tokenizer::BuildVocab(lsms::synth::GrammarCorpus());
  } else {
    auto v = lsms::ReadFile(absl::GetFlag(FLAGS_vocab));
    if (!v.ok()) {
      std::cerr << v.status() << "\n";
      return 2;
    }
    vocab = *v;
  }
  auto tok = lsms::Tokenizer::FromVocabText(vocab);
  if (!tok.ok()) {
    std::cerr << tok.status() << "\n";
    return 2;
  }
  if (config->preset != "base") config->vocab_size = (*tok)->vocab_size();
  if (absl::GetFlag(FLAGS_input_size) > 0) config->input_size = absl::GetFlag(FLAGS_input_size);
  torch::manual_seed(absl::GetFlag(FLAGS_seed));
  lsms::LsmsNet net(*config);
  lsms::CheckpointInfo info{*config, vocab, {}};
  info.provenance.version = absl::StrCat(config->preset, "-untrained-s", absl::GetFlag(FLAGS_seed));
  info.provenance.training_command = "untrained (lsms-init-checkpoint)";
  info.provenance.created = absl::FormatTime(absl::RFC3339_sec, absl::Now(), absl::UTCTimeZone());
  auto st = lsms::SaveCheckpoint(absl::GetFlag(FLAGS_out), *net, info);
  if (!st.ok()) {
    std::cerr << st << "\n";
    return 1;
  }
  std::cout << "wrote " << absl::GetFlag(FLAGS_out) << "\n";
  return 0;
}

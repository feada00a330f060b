// libFuzzer target: the WordPiece tokenizer on arbitrary expression bytes
// (invalid UTF-8, control bytes, very long words) and on arbitrary
// vocabulary files. Encodings must respect max_tokens and the vocabulary.
#include <cstddef>
#include <cstdint>
#include <string>

#include "model/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto* tokenizer =
      lsms::Tokenizer::FromVocabText(lsms::Tokenizer::BuildVocab({"the largest hypodense lesion in the right lobe"}))
          ->release();
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (int max_tokens : {2, 8, 32}) {
    const lsms::Encoding e = tokenizer->Encode(text, max_tokens);
    if (static_cast<int>(e.ids.size()) > max_tokens) __builtin_trap();
    for (int32_t id : e.ids) {
      if (id < 0 || id >= tokenizer->vocab_size()) __builtin_trap();
    }
  }
  // The same bytes as a vocabulary file.
  auto other = lsms::Tokenizer::FromVocabText(text);
  if (other.ok()) (void)(*other)->Encode("the largest lesion", 16);
  return 0;
}

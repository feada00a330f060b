// BERT WordPiece tokenizer: the same algorithm as Hugging Face's
// BertTokenizer (do_lower_case=True, strip_accents=True).
//
// 1. Basic tokenisation: drop NUL, U+FFFD and control characters, map every
//    whitespace character to ' ', put spaces around CJK ideographs, lower-case,
//    strip accents (Latin letters are decomposed with a built-in table and
//    combining marks U+0300–U+036F are dropped), split on whitespace and on
//    punctuation (ASCII punctuation plus the Unicode punctuation blocks).
// 2. WordPiece: greedy longest-match-first against the vocabulary, "##" on
//    continuation pieces, a word with no full segmentation (or longer than 100
//    characters) becomes [UNK].
// 3. [CLS] tokens [SEP], truncated to max_tokens, padded with [PAD]; the
//    attention mask is 1 on real tokens.
//
// Thread-safety: immutable after Create(); Encode() may be called concurrently.
#ifndef LSMS_MODEL_TOKENIZER_H_
#define LSMS_MODEL_TOKENIZER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"

namespace lsms {

struct Encoding {
  std::vector<int32_t> ids;             // max_tokens entries
  std::vector<uint8_t> attention_mask;  // 1 = real token, 0 = padding
  std::vector<std::string> tokens;      // the real tokens incl. [CLS]/[SEP]
  bool truncated = false;
};

class Tokenizer {
 public:
  // `vocab` is the text of a vocab.txt: one token per line, id = line number.
  // Must contain [PAD], [UNK], [CLS] and [SEP].
  static absl::StatusOr<std::unique_ptr<Tokenizer>> FromVocabText(const std::string& vocab);
  static absl::StatusOr<std::unique_ptr<Tokenizer>> FromVocabFile(const std::string& path);

  // Builds a vocabulary that covers `corpus`: the special tokens, every
  // printable ASCII character and its "##" form (so no ASCII word is ever
  // [UNK]), then every basic token of the corpus by decreasing frequency.
  static std::string BuildVocab(const std::vector<std::string>& corpus);

  // Basic tokenisation only (step 1).
  std::vector<std::string> BasicTokenize(const std::string& text) const;
  // WordPiece of one basic token (step 2).
  std::vector<std::string> WordPiece(const std::string& word) const;
  // The full pipeline (steps 1–3).
  Encoding Encode(const std::string& text, int max_tokens) const;

  int vocab_size() const { return static_cast<int>(id_to_token_.size()); }
  int pad_id() const { return pad_id_; }
  int unk_id() const { return unk_id_; }
  int cls_id() const { return cls_id_; }
  int sep_id() const { return sep_id_; }
  int TokenId(const std::string& token) const;  // -1 when absent
  const std::string& vocab_text() const { return vocab_text_; }

 private:
  Tokenizer() = default;

  std::string vocab_text_;
  std::vector<std::string> id_to_token_;
  std::unordered_map<std::string, int> token_to_id_;
  int pad_id_ = 0, unk_id_ = 0, cls_id_ = 0, sep_id_ = 0;
};

}  // namespace lsms

#endif  // LSMS_MODEL_TOKENIZER_H_

#include "model/tokenizer.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace lsms {
namespace {

constexpr int kMaxCharsPerWord = 100;

// Decodes UTF-8; invalid bytes become U+FFFD (then dropped by cleaning).
std::vector<char32_t> DecodeUtf8(const std::string& s) {
  std::vector<char32_t> out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    int len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > s.size()) {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    char32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    bool ok = true;
    for (int k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc >> 6) != 0x2) {
        ok = false;
        break;
      }
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (!ok) {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    out.push_back(cp);
    i += len;
  }
  return out;
}

void AppendUtf8(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool IsWhitespace(char32_t c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x202F || c == 0x205F || c == 0x3000;
}

bool IsControl(char32_t c) {
  if (c == '\t' || c == '\n' || c == '\r') return false;  // treated as whitespace
  return c < 0x20 || (c >= 0x7F && c < 0xA0) || c == 0xAD || (c >= 0x200B && c <= 0x200F) ||
         (c >= 0x202A && c <= 0x202E) || (c >= 0x2060 && c <= 0x2064) || c == 0xFEFF;
}

bool IsPunctuation(char32_t c) {
  // BERT treats every non-alphanumeric ASCII symbol as punctuation.
  if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
      (c >= 123 && c <= 126)) {
    return true;
  }
  return c == 0xA1 || c == 0xA7 || c == 0xAB || c == 0xB6 || c == 0xB7 || c == 0xBB ||
         c == 0xBF || (c >= 0x2010 && c <= 0x2027) || (c >= 0x2030 && c <= 0x205E) ||
         (c >= 0x3001 && c <= 0x3003) || (c >= 0x3008 && c <= 0x3011) ||
         (c >= 0xFF01 && c <= 0xFF0F) || (c >= 0xFF1A && c <= 0xFF20);
}

bool IsCjk(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

bool IsCombiningMark(char32_t c) {
  return (c >= 0x0300 && c <= 0x036F) || (c >= 0x1AB0 && c <= 0x1AFF) ||
         (c >= 0x1DC0 && c <= 0x1DFF) || (c >= 0x20D0 && c <= 0x20FF) ||
         (c >= 0xFE20 && c <= 0xFE2F);
}

// Lower-case and remove the accent of a code point (NFD + drop Mn for the
// Latin-1 Supplement and Latin Extended-A blocks, which cover the accented
// letters that appear in clinical text). Returns 0 to drop the character.
char32_t LowerStrip(char32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 32;
  if (IsCombiningMark(c)) return 0;
  if (c >= 0xC0 && c <= 0xFF) {
    static const char kLatin1[] =
        "aaaaaaeceeeeiiiidnooooo*ouuuuyts"   // U+00C0..U+00DF
        "aaaaaaeceeeeiiiidnooooo/ouuuuyty";  // U+00E0..U+00FF
    char m = kLatin1[c - 0xC0];
    // Æ/æ, Ð, ×, ÷, Ø/ø, Þ/þ, ß are letters of their own: keep them lower-cased.
    if (c == 0xC6 || c == 0xE6) return 0xE6;
    if (c == 0xD0 || c == 0xF0) return 0xF0;
    if (c == 0xD7 || c == 0xF7) return c;
    if (c == 0xD8 || c == 0xF8) return 0xF8;
    if (c == 0xDE || c == 0xFE) return 0xFE;
    if (c == 0xDF) return c;
    return static_cast<char32_t>(m);
  }
  if (c >= 0x100 && c <= 0x17F) {
    static const char kExtA[] =
        "aaaaaaccccccccdddd"   // 0100..0111
        "eeeeeeeeeegggggggg"   // 0112..0123
        "hhhhiiiiiiiiii"       // 0124..0131 (0130 İ -> i, 0131 ı kept below)
        "jjjjkkk"              // 0132..0138 (0132/0133 Ĳ handled as j)
        "llllllllll"           // 0139..0142
        "nnnnnnnnn"            // 0143..014B
        "oooooo"               // 014C..0151
        "oo"                   // 0152..0153 Œ œ
        "rrrrrr"               // 0154..0159
        "ssssssss"             // 015A..0161
        "tttttt"               // 0162..0167
        "uuuuuuuuuuuu"         // 0168..0173
        "wwyyy"                // 0174..0178
        "zzzzzzs";             // 0179..017F
    size_t idx = c - 0x100;
    if (idx < sizeof(kExtA) - 1) return static_cast<char32_t>(kExtA[idx]);
    return c;
  }
  // Greek and Cyrillic capitals: shift to lower case.
  if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) return c + 32;
  if (c >= 0x410 && c <= 0x42F) return c + 32;
  if (c >= 0x400 && c <= 0x40F) return c + 80;
  return c;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Tokenizer>> Tokenizer::FromVocabText(const std::string& vocab) {
  auto tok = std::unique_ptr<Tokenizer>(new Tokenizer());
  tok->vocab_text_ = vocab;
  for (absl::string_view line : absl::StrSplit(vocab, '\n')) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::string token(line);
    if (token.empty()) continue;  // a trailing newline
    tok->token_to_id_.emplace(token, static_cast<int>(tok->id_to_token_.size()));
    tok->id_to_token_.push_back(std::move(token));
  }
  for (const char* special : {"[PAD]", "[UNK]", "[CLS]", "[SEP]"}) {
    if (!tok->token_to_id_.count(special)) {
      return absl::InvalidArgumentError(absl::StrCat("vocabulary lacks ", special));
    }
  }
  tok->pad_id_ = tok->token_to_id_["[PAD]"];
  tok->unk_id_ = tok->token_to_id_["[UNK]"];
  tok->cls_id_ = tok->token_to_id_["[CLS]"];
  tok->sep_id_ = tok->token_to_id_["[SEP]"];
  return tok;
}

absl::StatusOr<std::unique_ptr<Tokenizer>> Tokenizer::FromVocabFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open vocabulary ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return FromVocabText(ss.str());
}

int Tokenizer::TokenId(const std::string& token) const {
  auto it = token_to_id_.find(token);
  return it == token_to_id_.end() ? -1 : it->second;
}

std::vector<std::string> Tokenizer::BasicTokenize(const std::string& text) const {
  std::vector<std::string> tokens;
  std::string current;
  auto flush = [&]() {
    if (!current.empty()) tokens.push_back(std::move(current));
    current.clear();
  };
  for (char32_t c : DecodeUtf8(text)) {
    if (c == 0 || c == 0xFFFD || IsControl(c)) continue;
    if (IsWhitespace(c)) {
      flush();
      continue;
    }
    if (IsCjk(c)) {
      flush();
      AppendUtf8(c, &current);
      flush();
      continue;
    }
    char32_t lc = LowerStrip(c);
    if (lc == 0) continue;
    if (IsPunctuation(lc)) {
      flush();
      AppendUtf8(lc, &current);
      flush();
      continue;
    }
    AppendUtf8(lc, &current);
  }
  flush();
  return tokens;
}

std::vector<std::string> Tokenizer::WordPiece(const std::string& word) const {
  std::vector<char32_t> chars = DecodeUtf8(word);
  if (static_cast<int>(chars.size()) > kMaxCharsPerWord) return {"[UNK]"};
  std::vector<std::string> pieces;
  size_t start = 0;
  while (start < chars.size()) {
    size_t end = chars.size();
    std::string found;
    while (start < end) {
      std::string sub = start > 0 ? "##" : "";
      for (size_t k = start; k < end; ++k) AppendUtf8(chars[k], &sub);
      if (token_to_id_.count(sub)) {
        found = std::move(sub);
        break;
      }
      --end;
    }
    if (found.empty()) return {"[UNK]"};
    pieces.push_back(std::move(found));
    start = end;
  }
  return pieces;
}

Encoding Tokenizer::Encode(const std::string& text, int max_tokens) const {
  Encoding enc;
  enc.tokens.push_back("[CLS]");
  const size_t budget = max_tokens >= 2 ? static_cast<size_t>(max_tokens - 2) : 0;
  std::vector<std::string> pieces;
  for (const std::string& word : BasicTokenize(text)) {
    for (std::string& p : WordPiece(word)) pieces.push_back(std::move(p));
  }
  if (pieces.size() > budget) {
    pieces.resize(budget);
    enc.truncated = true;
  }
  for (std::string& p : pieces) enc.tokens.push_back(std::move(p));
  enc.tokens.push_back("[SEP]");
  enc.ids.assign(max_tokens, pad_id_);
  enc.attention_mask.assign(max_tokens, 0);
  for (size_t i = 0; i < enc.tokens.size() && i < static_cast<size_t>(max_tokens); ++i) {
    enc.ids[i] = TokenId(enc.tokens[i]);
    if (enc.ids[i] < 0) enc.ids[i] = unk_id_;
    enc.attention_mask[i] = 1;
  }
  return enc;
}

std::string Tokenizer::BuildVocab(const std::vector<std::string>& corpus) {
  std::vector<std::string> vocab = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
  for (char c = 33; c < 127; ++c) {
    std::string s(1, c);
    if (c >= 'A' && c <= 'Z') continue;  // lower-cased away
    vocab.push_back(s);
  }
  for (char c = 33; c < 127; ++c) {
    if ((c >= 'A' && c <= 'Z')) continue;
    vocab.push_back(std::string("##") + c);
  }
  // A throwaway tokenizer for basic tokenisation only.
  auto basic = FromVocabText("[PAD]\n[UNK]\n[CLS]\n[SEP]\n");
  std::map<std::string, int> freq;
  for (const std::string& line : corpus) {
    for (const std::string& w : (*basic)->BasicTokenize(line)) ++freq[w];
  }
  std::vector<std::pair<std::string, int>> words(freq.begin(), freq.end());
  std::stable_sort(words.begin(), words.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::unordered_map<std::string, bool> seen;
  for (const auto& v : vocab) seen[v] = true;
  for (const auto& [w, n] : words) {
    if (!seen[w]) {
      vocab.push_back(w);
      seen[w] = true;
    }
  }
  std::string out;
  for (const auto& v : vocab) absl::StrAppend(&out, v, "\n");
  return out;
}

}  // namespace lsms

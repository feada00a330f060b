#include "server/security/token_table.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/png_codec.h"

namespace lsms {
namespace {

bool ValidName(absl::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

}  // namespace

std::array<unsigned char, 32> Sha256(absl::string_view data) {
  std::array<unsigned char, 32> out{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr);
  return out;
}

absl::StatusOr<TokenTable> TokenTable::Load(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return absl::NotFoundError(absl::StrCat("cannot read the token file ", path));
  return Parse(*text, path);
}

absl::StatusOr<TokenTable> TokenTable::Parse(absl::string_view text, absl::string_view origin) {
  TokenTable table;
  std::set<std::string> names;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    if (const size_t hash = line.find('#'); hash != absl::string_view::npos) line = line.substr(0, hash);
    std::vector<absl::string_view> fields = absl::StrSplit(line, absl::ByAnyChar(" \t\r"), absl::SkipEmpty());
    if (fields.empty()) continue;
    // Errors name the line, never its content: the file holds secrets' hashes.
    const std::string where = absl::StrCat(origin, ":", line_no, ": ");
    if (fields.size() != 3) return absl::InvalidArgumentError(absl::StrCat(where, "expected <name> sha256:<hex> <scopes>"));
    if (!ValidName(fields[0])) return absl::InvalidArgumentError(absl::StrCat(where, "caller names are [A-Za-z0-9._-]{1,64}"));
    if (!names.insert(std::string(fields[0])).second) {
      return absl::InvalidArgumentError(absl::StrCat(where, "caller '", fields[0], "' appears twice"));
    }
    if (!absl::StartsWith(fields[1], "sha256:") || fields[1].size() != 7 + 64) {
      return absl::InvalidArgumentError(absl::StrCat(where, "the token hash must be sha256:<64 hex digits>"));
    }
    const absl::string_view hex = fields[1].substr(7);
    for (char c : hex) {
      if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) {
        return absl::InvalidArgumentError(absl::StrCat(where, "the token hash must be sha256:<64 hex digits>"));
      }
    }
    Entry e;
    const std::string bytes = absl::HexStringToBytes(hex);
    std::copy(bytes.begin(), bytes.end(), e.digest.begin());
    e.caller.name = std::string(fields[0]);
    for (absl::string_view scope : absl::StrSplit(fields[2], ',', absl::SkipEmpty())) {
      if (scope != kScopeSegment && scope != kScopeAdmin) {
        return absl::InvalidArgumentError(absl::StrCat(where, "unknown scope '", scope.substr(0, 32),
                                                       "' (known: segment, admin)"));
      }
      e.caller.scopes.emplace(scope);
    }
    if (e.caller.scopes.empty()) return absl::InvalidArgumentError(absl::StrCat(where, "no scope"));
    table.entries_.push_back(std::move(e));
  }
  if (table.entries_.empty()) return absl::InvalidArgumentError(absl::StrCat(origin, ": no callers"));
  return table;
}

absl::StatusOr<Caller> TokenTable::Authenticate(absl::string_view token) const {
  const std::array<unsigned char, 32> digest = Sha256(token);
  const Entry* match = nullptr;
  for (const Entry& e : entries_) {
    const bool equal = CRYPTO_memcmp(e.digest.data(), digest.data(), digest.size()) == 0;
    if (equal && match == nullptr) match = &e;
  }
  if (token.empty() || match == nullptr) return absl::UnauthenticatedError("invalid bearer token");
  return match->caller;
}

}  // namespace lsms

// Static bearer tokens: a file of callers, each with the SHA-256 of its
// token and its scopes. The tokens themselves are never stored or logged.
//
// File format, one caller per line ('#' starts a comment):
//
//   <name>  sha256:<64 hex digits>  <scope>[,<scope>...]
//
//   pacs-gateway  sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08  segment
//   ops           sha256:...                                                                 admin
//
// The hash of a token: `printf %s "$TOKEN" | sha256sum`. Names are
// [A-Za-z0-9._-]{1,64} and unique; scopes are "segment" or "admin".
#ifndef LSMS_SERVER_SECURITY_TOKEN_TABLE_H_
#define LSMS_SERVER_SECURITY_TOKEN_TABLE_H_

#include <array>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/security/caller.h"

namespace lsms {

class TokenTable {
 public:
  static absl::StatusOr<TokenTable> Load(const std::string& path);
  // The same, from the file's text (`origin` names it in errors).
  static absl::StatusOr<TokenTable> Parse(absl::string_view text, absl::string_view origin);

  // The caller whose token this is, or UNAUTHENTICATED. Compares the token's
  // SHA-256 against every entry in constant time and without stopping at a
  // match, so timing says nothing about which entry or prefix matched.
  absl::StatusOr<Caller> Authenticate(absl::string_view token) const;

  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::array<unsigned char, 32> digest;
    Caller caller;
  };
  std::vector<Entry> entries_;
};

// SHA-256 of `data`.
std::array<unsigned char, 32> Sha256(absl::string_view data);

}  // namespace lsms

#endif  // LSMS_SERVER_SECURITY_TOKEN_TABLE_H_

// Static bearer tokens: file parsing, hashing and lookup.
#include "server/security/token_table.h"

#include <gtest/gtest.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace lsms {
namespace {

std::string HashLine(const std::string& name, const std::string& token, const std::string& scopes) {
  const auto d = Sha256(token);
  return absl::StrCat(name, " sha256:", absl::BytesToHexString(std::string(d.begin(), d.end())), " ", scopes, "\n");
}

TEST(TokenTableTest, Sha256MatchesTheStandardTestVector) {
  // FIPS 180-2 example: SHA-256("abc").
  const auto d = Sha256("abc");
  EXPECT_EQ(absl::BytesToHexString(std::string(d.begin(), d.end())),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(TokenTableTest, FindsEachCallerByItsToken) {
  auto t = TokenTable::Parse(absl::StrCat("# callers\n", HashLine("pacs-gw", "tok-a", "segment"), "\n",
                                          HashLine("ops", "tok-b", "admin"), "  # trailing comment ok\n"),
                             "tokens");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->size(), 2u);
  auto a = t->Authenticate("tok-a");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->name, "pacs-gw");
  EXPECT_TRUE(a->Has(kScopeSegment));
  EXPECT_FALSE(a->Has(kScopeAdmin));
  auto b = t->Authenticate("tok-b");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->name, "ops");
  EXPECT_TRUE(b->Has(kScopeSegment)) << "admin grants every scope";
  for (const char* wrong : {"", "tok-", "tok-a ", "TOK-A", "tok-c"}) {
    auto w = t->Authenticate(wrong);
    EXPECT_EQ(w.status().code(), absl::StatusCode::kUnauthenticated) << wrong;
  }
}

TEST(TokenTableTest, RefusesMalformedFilesNamingTheLineNotItsContent) {
  const std::string good = HashLine("a", "t", "segment");
  struct Case {
    std::string text, expect;
  } cases[] = {
      {"", "no callers"},
      {"only-two sha256:00\n", ":1: expected"},
      {absl::StrCat(good, "a sha256:", std::string(64, '0'), " segment\n"), ":2: caller 'a' appears twice"},
      {absl::StrCat("bad/name sha256:", std::string(64, '0'), " segment\n"), "caller names"},
      {"a md5:0123 segment\n", "sha256:<64 hex digits>"},
      {absl::StrCat("a sha256:", std::string(63, '0'), "x segment\n"), "sha256:<64 hex digits>"},
      {absl::StrCat("a sha256:", std::string(64, '0'), " root\n"), "unknown scope 'root'"},
  };
  for (const Case& c : cases) {
    auto t = TokenTable::Parse(c.text, "tokens.txt");
    ASSERT_FALSE(t.ok()) << c.text;
    EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(t.status().message().find(c.expect), std::string::npos) << t.status();
  }
  EXPECT_EQ(TokenTable::Load("/nonexistent/tokens").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace lsms

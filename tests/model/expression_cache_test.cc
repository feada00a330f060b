#include "model/expression_cache.h"

#include <string>

#include <gtest/gtest.h>

namespace lsms {
namespace {

ExpressionCache::Value V(int x) { return std::make_shared<const int>(x); }
int Of(const ExpressionCache::Value& v) { return *static_cast<const int*>(v.get()); }
ExpressionCache::Key K(std::vector<int32_t> ids, uint64_t scope = 1) { return {scope, std::move(ids)}; }

TEST(ExpressionCacheTest, CountsHitsAndMissesAndReturnsWhatWasInserted) {
  auto cache = *ExpressionCache::Create(4);
  EXPECT_EQ(cache->Find(K({101, 7, 102})), nullptr);  // miss 1
  cache->Insert(K({101, 7, 102}), V(7));
  ASSERT_NE(cache->Find(K({101, 7, 102})), nullptr);  // hit 1
  EXPECT_EQ(Of(cache->Find(K({101, 7, 102}))), 7);    // hit 2
  EXPECT_EQ(cache->Find(K({101, 8, 102})), nullptr);  // miss 2: other ids
  cache->CountHits(3);
  const auto s = cache->stats();
  EXPECT_EQ(s.hits, 5);
  EXPECT_EQ(s.misses, 2);
  EXPECT_EQ(s.entries, 1);
  EXPECT_EQ(s.capacity, 4);
}

TEST(ExpressionCacheTest, ScopesDoNotShareEntries) {
  // A reloaded model (scope 2) must not read the features of scope 1.
  auto cache = *ExpressionCache::Create(4);
  cache->Insert(K({5, 6}, /*scope=*/1), V(1));
  EXPECT_EQ(cache->Find(K({5, 6}, /*scope=*/2)), nullptr);
  cache->Insert(K({5, 6}, /*scope=*/2), V(2));
  EXPECT_EQ(Of(cache->Find(K({5, 6}, 1))), 1);
  EXPECT_EQ(Of(cache->Find(K({5, 6}, 2))), 2);
}

TEST(ExpressionCacheTest, TheLeastRecentlyUsedEntryGoesWhenFull) {
  // Capacity 3: insert a, b, c (recency c > b > a); use a (a > c > b);
  // insert d → b, the least recent, is evicted; then e → c goes.
  auto cache = *ExpressionCache::Create(3);
  cache->Insert(K({1}), V(1));
  cache->Insert(K({2}), V(2));
  cache->Insert(K({3}), V(3));
  ASSERT_NE(cache->Find(K({1})), nullptr);
  cache->Insert(K({4}), V(4));
  EXPECT_EQ(cache->Find(K({2})), nullptr);
  EXPECT_NE(cache->Find(K({1})), nullptr);  // recency now 1 > 4 > 3
  cache->Insert(K({5}), V(5));
  EXPECT_EQ(cache->Find(K({3})), nullptr);
  EXPECT_NE(cache->Find(K({4})), nullptr);
  EXPECT_NE(cache->Find(K({5})), nullptr);
  const auto s = cache->stats();
  EXPECT_EQ(s.entries, 3);
  EXPECT_EQ(s.evictions, 2);
}

TEST(ExpressionCacheTest, InsertingAKeyAgainReplacesItWithoutGrowing) {
  auto cache = *ExpressionCache::Create(2);
  cache->Insert(K({1}), V(1));
  cache->Insert(K({1}), V(10));
  EXPECT_EQ(cache->stats().entries, 1);
  EXPECT_EQ(Of(cache->Find(K({1}))), 10);
  EXPECT_EQ(cache->stats().evictions, 0);
}

TEST(ExpressionCacheTest, RejectsANonPositiveCapacity) {
  EXPECT_FALSE(ExpressionCache::Create(0).ok());
  EXPECT_FALSE(ExpressionCache::Create(-3).ok());
}

}  // namespace
}  // namespace lsms

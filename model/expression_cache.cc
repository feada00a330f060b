#include "model/expression_cache.h"

#include "absl/strings/str_cat.h"

namespace lsms {

absl::StatusOr<std::shared_ptr<ExpressionCache>> ExpressionCache::Create(int capacity) {
  if (capacity < 1) return absl::InvalidArgumentError(absl::StrCat("cache capacity must be ≥ 1, got ", capacity));
  return std::shared_ptr<ExpressionCache>(new ExpressionCache(capacity));
}

ExpressionCache::Value ExpressionCache::Find(const Key& key) {
  absl::MutexLock l(&mu_);
  auto it = index_.find(key);
  if (it == index_.end()) {
    ++stats_.misses;
    return nullptr;
  }
  ++stats_.hits;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->second;
}

void ExpressionCache::Insert(Key key, Value value) {
  absl::MutexLock l(&mu_);
  if (auto it = index_.find(key); it != index_.end()) {
    it->second->second = std::move(value);
    lru_.splice(lru_.begin(), lru_, it->second);
    return;
  }
  if (static_cast<int>(lru_.size()) >= capacity_) {
    index_.erase(lru_.back().first);
    lru_.pop_back();
    ++stats_.evictions;
  }
  lru_.emplace_front(key, std::move(value));
  index_.emplace(std::move(key), lru_.begin());
}

void ExpressionCache::CountHits(int64_t n) {
  absl::MutexLock l(&mu_);
  stats_.hits += n;
}

ExpressionCache::Stats ExpressionCache::stats() const {
  absl::MutexLock l(&mu_);
  Stats s = stats_;
  s.entries = static_cast<int>(lru_.size());
  s.capacity = capacity_;
  return s;
}

}  // namespace lsms

// ExpressionCache: a bounded LRU of text-encoder outputs, keyed by (scope,
// token ids), shared by the model instances of a server. A series sends one
// expression with every slice, and a ward asks the same few questions all day:
// the text encoder need not run again for them (with the pretrained 6-layer
// MiniLM encoder it is the costliest part of encoding a request's words).
//
// The cache is torch-free: a value is an opaque shared_ptr (the segmenter
// stores its device tensor there). The scope is the caller's name for "these
// values are interchangeable": one per loaded model set (checkpoint, device,
// precision), so a hot reload never reads its predecessor's features; the old
// scope's entries age out.
//
// Hits and misses count lookups: Find() counts one of them; CountHits() adds
// reuses the caller made itself (the same expression twice in one batch).
// Thread-safe; values are immutable once inserted.
#ifndef LSMS_MODEL_EXPRESSION_CACHE_H_
#define LSMS_MODEL_EXPRESSION_CACHE_H_

#include <cstdint>
#include <list>
#include <memory>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace lsms {

class ExpressionCache {
 public:
  using Value = std::shared_ptr<const void>;
  struct Key {
    uint64_t scope = 0;
    std::vector<int32_t> ids;  // the padded encoding (Encoding::ids)
    bool operator==(const Key& o) const { return scope == o.scope && ids == o.ids; }
    template <typename H>
    friend H AbslHashValue(H h, const Key& k) {
      return H::combine(std::move(h), k.scope, k.ids);
    }
  };
  struct Stats {
    int64_t hits = 0;
    int64_t misses = 0;
    int64_t evictions = 0;
    int entries = 0;
    int capacity = 0;
  };

  // `capacity` entries at most (≥ 1).
  static absl::StatusOr<std::shared_ptr<ExpressionCache>> Create(int capacity);

  // The value for `key`, or null; counts a hit or a miss, and a hit makes the
  // entry the most recently used.
  Value Find(const Key& key);
  // Adds (or replaces) `key`; the least recently used entry goes when full.
  void Insert(Key key, Value value);
  void CountHits(int64_t n);
  Stats stats() const;

 private:
  explicit ExpressionCache(int capacity) : capacity_(capacity) {}
  using Lru = std::list<std::pair<Key, Value>>;  // front = most recent

  const int capacity_;
  mutable absl::Mutex mu_;
  Lru lru_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<Key, Lru::iterator> index_ ABSL_GUARDED_BY(mu_);
  Stats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lsms

#endif  // LSMS_MODEL_EXPRESSION_CACHE_H_

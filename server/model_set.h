// One loaded checkpoint: a Segmenter per batcher worker. Immutable once
// published by the ModelRunner. Every queued task holds a reference to the
// set it was prepared for (config, tokenizer), so a hot reload never pulls a
// model from under work already accepted: that work finishes on the old set,
// which is freed with its last task.
#ifndef LSMS_SERVER_MODEL_SET_H_
#define LSMS_SERVER_MODEL_SET_H_

#include <memory>
#include <string>
#include <vector>

#include "model/segmenter.h"

namespace lsms {

struct ModelSet {
  // instances[w] runs on batcher worker w.
  std::vector<std::unique_ptr<Segmenter>> instances;

  const Segmenter& model() const { return *instances[0]; }
  const std::string& version() const { return model().provenance().version; }
};

}  // namespace lsms

#endif  // LSMS_SERVER_MODEL_SET_H_

#include "model/safetensors.h"

#include <cstring>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"

namespace lsms {
namespace {

// The header is small JSON; anything larger is a corrupt or hostile file.
constexpr uint64_t kMaxHeaderBytes = 100u << 20;

absl::StatusOr<DType> ParseDType(const std::string& s) {
  if (s == "F32") return DType::kF32;
  if (s == "F16") return DType::kF16;
  if (s == "BF16") return DType::kBF16;
  if (s == "I64") return DType::kI64;
  if (s == "I32") return DType::kI32;
  return absl::UnimplementedError(absl::StrCat("unsupported safetensors dtype ", s));
}

}  // namespace

const char* DTypeName(DType d) {
  switch (d) {
    case DType::kF32: return "F32";
    case DType::kF16: return "F16";
    case DType::kBF16: return "BF16";
    case DType::kI64: return "I64";
    case DType::kI32: return "I32";
  }
  return "?";
}

size_t DTypeSize(DType d) {
  switch (d) {
    case DType::kF32: case DType::kI32: return 4;
    case DType::kF16: case DType::kBF16: return 2;
    case DType::kI64: return 8;
  }
  return 0;
}

int64_t TensorView::numel() const {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

float HalfToFloat(uint16_t h) {
  uint32_t sign = (h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1F;
  uint32_t mant = h & 0x3FF;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      exp = 127 - 15 + 1;
      while ((mant & 0x400) == 0) {
        mant <<= 1;
        --exp;
      }
      mant &= 0x3FF;
      bits = sign | (exp << 23) | (mant << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7F800000u | (mant << 13);
  } else {
    bits = sign | ((exp - 15 + 127) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t FloatToHalf(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000u;
  int32_t exp = static_cast<int32_t>((x >> 23) & 0xFF) - 127 + 15;
  uint32_t mant = x & 0x7FFFFF;
  if (((x >> 23) & 0xFF) == 0xFF) return static_cast<uint16_t>(sign | 0x7C00 | (mant ? 0x200 : 0));
  if (exp >= 31) return static_cast<uint16_t>(sign | 0x7C00);
  if (exp <= 0) {
    if (exp < -10) return static_cast<uint16_t>(sign);
    mant |= 0x800000;
    uint32_t shift = static_cast<uint32_t>(14 - exp);
    uint32_t half = mant >> shift;
    uint32_t rem = mant & ((1u << shift) - 1);
    uint32_t mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1))) ++half;
    return static_cast<uint16_t>(sign | half);
  }
  uint32_t half = sign | (static_cast<uint32_t>(exp) << 10) | (mant >> 13);
  uint32_t rem = mant & 0x1FFF;
  if (rem > 0x1000 || (rem == 0x1000 && (half & 1))) ++half;  // may carry into exp: fine
  return static_cast<uint16_t>(half);
}

float BFloat16ToFloat(uint16_t b) {
  uint32_t bits = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

absl::StatusOr<std::vector<float>> TensorView::ToFloat() const {
  const int64_t n = numel();
  std::vector<float> out(static_cast<size_t>(n));
  const char* p = bytes.data();
  switch (dtype) {
    case DType::kF32:
      std::memcpy(out.data(), p, n * 4);
      return out;
    case DType::kF16:
    case DType::kBF16:
      for (int64_t i = 0; i < n; ++i) {
        uint16_t v;
        std::memcpy(&v, p + 2 * i, 2);
        out[i] = dtype == DType::kF16 ? HalfToFloat(v) : BFloat16ToFloat(v);
      }
      return out;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("tensor of dtype ", DTypeName(dtype), " is not floating point"));
  }
}

absl::StatusOr<SafetensorsFile> SafetensorsFile::Parse(const std::string& data) {
  if (data.size() < 8) return absl::InvalidArgumentError("safetensors: file shorter than 8 bytes");
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | static_cast<uint8_t>(data[i]);
  if (header_len > kMaxHeaderBytes || header_len > data.size() - 8) {
    return absl::InvalidArgumentError(
        absl::StrCat("safetensors: header length ", header_len, " exceeds the file"));
  }
  nlohmann::json header =
      nlohmann::json::parse(data.begin() + 8, data.begin() + 8 + header_len, nullptr, false);
  if (header.is_discarded() || !header.is_object()) {
    return absl::InvalidArgumentError("safetensors: header is not a JSON object");
  }
  const size_t base = 8 + header_len;
  const size_t payload = data.size() - base;
  SafetensorsFile file;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it.value().is_object()) return absl::InvalidArgumentError("safetensors: bad __metadata__");
      for (auto m = it.value().begin(); m != it.value().end(); ++m) {
        if (!m.value().is_string()) {
          return absl::InvalidArgumentError("safetensors: metadata values must be strings");
        }
        file.metadata[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    const auto& e = it.value();
    if (!e.is_object() || !e.contains("dtype") || !e.contains("shape") ||
        !e.contains("data_offsets")) {
      return absl::InvalidArgumentError(
          absl::StrCat("safetensors: entry '", it.key(), "' lacks dtype/shape/data_offsets"));
    }
    // Every field is type-checked before it is read: the header is outside
    // input, and nlohmann::json throws on a wrong type (found by fuzzing: a
    // non-string dtype ended the process).
    TensorView t;
    if (!e["dtype"].is_string()) return absl::InvalidArgumentError(absl::StrCat("safetensors: bad dtype of ", it.key()));
    auto dt = ParseDType(e["dtype"].get<std::string>());
    if (!dt.ok()) return dt.status();
    t.dtype = *dt;
    if (!e["shape"].is_array()) return absl::InvalidArgumentError(absl::StrCat("safetensors: bad shape of ", it.key()));
    uint64_t elements = 1;
    for (const auto& s : e["shape"]) {
      if (!s.is_number_integer() || s.get<int64_t>() < 0) {
        return absl::InvalidArgumentError(absl::StrCat("safetensors: bad shape of ", it.key()));
      }
      const auto dim = static_cast<uint64_t>(s.get<int64_t>());
      // The tensor must fit in the payload, which also keeps numel() from overflowing.
      if (dim != 0 && elements > payload / dim) {
        return absl::InvalidArgumentError(absl::StrCat("safetensors: tensor '", it.key(), "' is larger than the file"));
      }
      elements *= dim;
      t.shape.push_back(s.get<int64_t>());
    }
    const auto& off = e["data_offsets"];
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned()) {
      return absl::InvalidArgumentError(absl::StrCat("safetensors: bad offsets of ", it.key()));
    }
    uint64_t begin = off[0].get<uint64_t>(), end = off[1].get<uint64_t>();
    if (begin > end || end > payload) {
      return absl::InvalidArgumentError(
          absl::StrCat("safetensors: tensor '", it.key(), "' lies outside the file"));
    }
    if (end - begin != static_cast<uint64_t>(t.numel()) * DTypeSize(t.dtype)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "safetensors: tensor '", it.key(), "' has ", end - begin, " bytes, shape needs ",
          t.numel() * DTypeSize(t.dtype)));
    }
    t.bytes.assign(data, base + begin, end - begin);
    file.tensors.emplace(it.key(), std::move(t));
  }
  return file;
}

absl::StatusOr<SafetensorsFile> SafetensorsFile::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  auto file = Parse(ss.str());
  if (!file.ok()) {
    return absl::Status(file.status().code(), absl::StrCat(path, ": ", file.status().message()));
  }
  return file;
}

std::string SafetensorsFile::Serialize() const {
  nlohmann::json header = nlohmann::json::object();
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {  // std::map: sorted, deterministic
    header[name] = {{"dtype", DTypeName(t.dtype)},
                    {"shape", t.shape},
                    {"data_offsets", {offset, offset + t.bytes.size()}}};
    offset += t.bytes.size();
  }
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::string h = header.dump();
  while ((h.size() + 8) % 8 != 0) h.push_back(' ');  // align the payload
  std::string out;
  out.reserve(8 + h.size() + offset);
  uint64_t n = h.size();
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xFF));
  out += h;
  for (const auto& [name, t] : tensors) out += t.bytes;
  return out;
}

absl::Status SafetensorsFile::Save(const std::string& path) const {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return absl::PermissionDeniedError(absl::StrCat("cannot write ", tmp));
    std::string bytes = Serialize();
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) return absl::DataLossError(absl::StrCat("short write to ", tmp));
  }
  // Atomic replace: a crash mid-save never leaves a truncated checkpoint.
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("cannot rename ", tmp, " to ", path));
  }
  return absl::OkStatus();
}

}  // namespace lsms

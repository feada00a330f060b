#include "server/dicom/dicom_structure.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include <zlib.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace lsms {
namespace {

constexpr uint32_t kUndefined = 0xFFFFFFFFu;
constexpr uint16_t kItemGroup = 0xFFFE;
constexpr uint16_t kItem = 0xE000, kItemEnd = 0xE00D, kSequenceEnd = 0xE0DD;

class Reader {
 public:
  Reader(absl::string_view b, size_t pos, bool big) : b_(b), pos_(pos), big_(big) {}
  size_t pos() const { return pos_; }
  size_t left() const { return b_.size() - pos_; }
  bool U16(uint16_t* v) {
    if (left() < 2) return false;
    const auto* p = reinterpret_cast<const unsigned char*>(b_.data() + pos_);
    *v = big_ ? static_cast<uint16_t>(p[0] << 8 | p[1]) : static_cast<uint16_t>(p[1] << 8 | p[0]);
    pos_ += 2;
    return true;
  }
  bool U32(uint32_t* v) {
    uint16_t a, c;
    if (!U16(&a) || !U16(&c)) return false;
    *v = big_ ? (uint32_t{a} << 16 | c) : (uint32_t{c} << 16 | a);
    return true;
  }
  bool Chars(size_t n, std::string* out) {
    if (left() < n) return false;
    out->assign(b_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  bool Skip(size_t n) {
    if (left() < n) return false;
    pos_ += n;
    return true;
  }

 private:
  absl::string_view b_;
  size_t pos_;
  bool big_;
};

bool LongLength(const std::string& vr) {
  for (const char* v : {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"}) {
    if (vr == v) return true;
  }
  return false;
}

// Raw deflate (RFC 1951, as DICOM's deflated transfer syntax stores the
// dataset), refusing output past `max` bytes.
absl::StatusOr<std::string> Inflate(absl::string_view in, size_t max) {
  z_stream z{};
  if (inflateInit2(&z, -MAX_WBITS) != Z_OK) return absl::InternalError("zlib: inflateInit2 failed");
  std::string out;
  char buf[1 << 16];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof(buf);
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&z);
      return absl::InvalidArgumentError("DICOM: the deflated dataset does not inflate");
    }
    out.append(buf, sizeof(buf) - z.avail_out);
    if (out.size() > max) {
      inflateEnd(&z);
      return absl::InvalidArgumentError(absl::StrCat("DICOM: the deflated dataset inflates past ", max, " bytes"));
    }
    if (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0) break;  // input ended without a stream end
  }
  inflateEnd(&z);
  return out;
}

absl::Status Malformed(size_t at, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("DICOM: malformed element structure at byte ", at, " (", what, ")"));
}

}  // namespace

absl::StatusOr<DicomStructure> WalkDicomStructure(absl::string_view bytes, int max_depth,
                                                  size_t max_inflated_bytes) {
  DicomStructure out;
  size_t start = 0;
  if (bytes.size() >= 132 && bytes.substr(128, 4) == "DICM") start = 132;
  // Meta group: explicit VR little endian, group 0002.
  Reader meta(bytes, start, /*big=*/false);
  while (meta.left() >= 8) {
    const size_t at = meta.pos();
    uint16_t group = 0, element = 0, len16 = 0;
    std::string vr;
    meta.U16(&group);
    if (group != 0x0002) {
      meta = Reader(bytes, at, false);
      break;
    }
    meta.U16(&element);
    if (!meta.Chars(2, &vr)) return Malformed(at, "meta header");
    uint32_t len = 0;
    if (LongLength(vr)) {
      if (!meta.Skip(2) || !meta.U32(&len)) return Malformed(at, "meta header");
    } else {
      if (!meta.U16(&len16)) return Malformed(at, "meta header");
      len = len16;
    }
    std::string value;
    if (len == kUndefined || !meta.Chars(len, &value)) return Malformed(at, "meta header length");
    if (element == 0x0010) out.transfer_syntax = std::string(absl::StripTrailingAsciiWhitespace(value.c_str()));
  }
  const std::string& ts = out.transfer_syntax;
  size_t data = meta.pos();
  std::string inflated;
  if (ts == "1.2.840.10008.1.2.1.99") {
    out.deflated = true;
    auto raw = Inflate(bytes.substr(data), max_inflated_bytes);
    if (!raw.ok()) return raw.status();
    inflated = *std::move(raw);
    out.inflated_bytes = inflated.size();
    bytes = inflated;  // explicit VR little endian from here
    data = 0;
  }
  // Implicit VR little endian by its UID; without a meta header, when the
  // first element carries no VR (two upper-case letters after the tag).
  const bool implicit =
      ts == "1.2.840.10008.1.2" ||
      (ts.empty() && start == 0 && !(bytes.size() >= data + 6 && absl::ascii_isupper(bytes[data + 4]) &&
                       absl::ascii_isupper(bytes[data + 5])));
  const bool big = ts == "1.2.840.10008.1.2.2";
  Reader r(bytes, data, big);
  enum class Kind { kSequence, kItem, kPixelData };
  struct Open {
    Kind kind;
    size_t end;     // 0: undefined length, closed by a delimiter
    bool implicit;  // how the elements inside are encoded
  };
  std::vector<Open> open;
  int depth = 0;  // open sequences
  auto pop = [&] {
    if (open.back().kind == Kind::kSequence) --depth;
    open.pop_back();
  };
  auto push = [&](Kind kind, uint32_t len, bool inner_implicit) -> absl::Status {
    if (len != kUndefined && len > r.left()) return Malformed(r.pos(), "container longer than the input");
    open.push_back({kind, len == kUndefined ? 0 : r.pos() + len, inner_implicit});
    if (kind == Kind::kSequence && ++depth > max_depth) {
      return absl::InvalidArgumentError(absl::StrCat("DICOM: sequences nested deeper than ", max_depth, " levels"));
    }
    out.max_depth = std::max(out.max_depth, depth);
    return absl::OkStatus();
  };
  for (;;) {
    while (!open.empty() && open.back().end != 0 && r.pos() >= open.back().end) pop();
    if (r.left() == 0) break;
    if (r.left() < 8) return Malformed(r.pos(), "truncated element");
    const size_t at = r.pos();
    uint16_t group = 0, element = 0;
    r.U16(&group);
    r.U16(&element);
    ++out.elements;
    if (group == kItemGroup) {  // items and delimiters carry no VR
      uint32_t len = 0;
      r.U32(&len);
      if (element == kItem) {
        if (!open.empty() && open.back().kind == Kind::kPixelData) {  // a fragment: bytes, not elements
          if (len == kUndefined || !r.Skip(len)) return Malformed(at, "pixel data fragment");
        } else if (auto st = push(Kind::kItem, len, open.empty() ? implicit : open.back().implicit); !st.ok()) {
          return st;
        }
      } else if (element == kItemEnd || element == kSequenceEnd) {
        // Closes the innermost container of undefined length, and the
        // defined-length ones inside it.
        while (!open.empty() && open.back().end != 0) pop();
        if (open.empty()) return Malformed(at, "delimiter without a container");
        pop();
      } else {
        return Malformed(at, "unknown item tag");
      }
      continue;
    }
    std::string vr;
    uint32_t len = 0;
    const bool here_implicit = open.empty() ? implicit : open.back().implicit;
    if (here_implicit) {
      if (!r.U32(&len)) return Malformed(at, "truncated length");
    } else {
      if (!r.Chars(2, &vr)) return Malformed(at, "truncated VR");
      if (LongLength(vr)) {
        if (!r.Skip(2) || !r.U32(&len)) return Malformed(at, "truncated length");
      } else {
        uint16_t len16;
        if (!r.U16(&len16)) return Malformed(at, "truncated length");
        len = len16;
      }
    }
    const bool pixel_data = group == 0x7FE0 && element == 0x0010;
    // As DCMTK reads it: UN of undefined length is a sequence whose items
    // are implicit VR little endian (PS3.5 6.2.2), on the PixelData tag
    // too; an explicit SQ is a sequence whatever its tag. (Found by fuzzing:
    // PixelData "UN" read here as encapsulated fragments hid an element of
    // 3.7 GB that DCMTK then allocated.)
    const bool un_sequence = vr == "UN" && len == kUndefined;
    if (pixel_data && len == kUndefined && vr != "SQ" && !un_sequence) {
      if (auto st = push(Kind::kPixelData, len, here_implicit); !st.ok()) return st;
    } else if (vr == "SQ" || len == kUndefined) {
      if (auto st = push(Kind::kSequence, len, un_sequence || here_implicit); !st.ok()) return st;
    } else if (!r.Skip(len)) {
      return Malformed(at, "value longer than the input");
    }
  }
  return out;
}

}  // namespace lsms

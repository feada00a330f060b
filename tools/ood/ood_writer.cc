#include "tools/ood/ood_writer.h"

#include <cmath>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/png_codec.h"
#include "dcmtk/dcmdata/dcostrmb.h"
#include "dcmtk/dcmdata/dctk.h"
#include "tools/ood/ood_expressions.h"

namespace lsms::ood {
namespace {

namespace fs = std::filesystem;

absl::Status WritePng(const fs::path& path, const std::vector<uint8_t>& m, int size, bool binary) {
  PngImage png{size, size, 1, std::vector<uint8_t>(m.size())};
  for (size_t i = 0; i < m.size(); ++i) png.pixels[i] = binary ? (m[i] ? 255 : 0) : m[i];
  auto bytes = EncodePng(png);
  if (!bytes.ok()) return bytes.status();
  return WriteFile(path.string(), *bytes);
}

const char* TypeName(OodLesionType t) {
  return t == OodLesionType::kHypo ? "hypodense" : t == OodLesionType::kHyper ? "hyperdense" : "rim-enhancing";
}

}  // namespace

absl::StatusOr<std::string> EncodeOodDicom(const OodSlice& s, uint64_t uid_seed) {
  DcmFileFormat file;
  DcmDataset* ds = file.getDataset();
  const std::string root = absl::StrCat("2.25.", 4000000000ull + uid_seed % 1000000000ull);
  auto put = [&](const DcmTagKey& tag, const std::string& v) { return ds->putAndInsertString(tag, v.c_str()); };
  put(DCM_SOPClassUID, UID_CTImageStorage);
  put(DCM_SOPInstanceUID, root + ".1");
  put(DCM_StudyInstanceUID, root + ".2");
  put(DCM_SeriesInstanceUID, root + ".3");
  put(DCM_Modality, "CT");
  put(DCM_PatientName, "OOD^PHANTOM");
  put(DCM_PatientID, absl::StrCat("OOD", uid_seed));
  put(DCM_Manufacturer, "lsms-ood");
  put(DCM_SeriesDescription, absl::StrCat("Independent phantom, ", OodPhaseName(s.phase)));
  put(DCM_PixelSpacing, absl::StrFormat("%.6f\\%.6f", s.pixel_mm, s.pixel_mm));
  put(DCM_SliceThickness, "2.5");
  put(DCM_PhotometricInterpretation, "MONOCHROME2");
  put(DCM_RescaleIntercept, "0");
  put(DCM_RescaleSlope, "1");
  put(DCM_RescaleType, "HU");
  put(DCM_WindowCenter, "50");
  put(DCM_WindowWidth, "350");
  ds->putAndInsertUint16(DCM_SamplesPerPixel, 1);
  ds->putAndInsertUint16(DCM_Rows, static_cast<Uint16>(s.size));
  ds->putAndInsertUint16(DCM_Columns, static_cast<Uint16>(s.size));
  ds->putAndInsertUint16(DCM_BitsAllocated, 16);
  ds->putAndInsertUint16(DCM_BitsStored, 16);
  ds->putAndInsertUint16(DCM_HighBit, 15);
  ds->putAndInsertUint16(DCM_PixelRepresentation, 1);  // signed: HU stored directly
  std::vector<Sint16> px(s.hu.data.size());
  for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<Sint16>(std::lround(s.hu.data[i]));
  ds->putAndInsertUint16Array(DCM_PixelData, reinterpret_cast<const Uint16*>(px.data()),
                              static_cast<unsigned long>(px.size()));
  OFCondition ok = file.validateMetaInfo(EXS_LittleEndianExplicit);
  if (ok.bad()) return absl::InternalError(absl::StrCat("DICOM meta header: ", ok.text()));
  // Serialise to memory.
  file.transferInit();
  const uint32_t length = file.calcElementLength(EXS_LittleEndianExplicit, EET_ExplicitLength) + 1024;
  std::string buffer(length, '\0');
  DcmOutputBufferStream out(buffer.data(), buffer.size());
  ok = file.write(out, EXS_LittleEndianExplicit, EET_ExplicitLength, nullptr);
  file.transferEnd();
  if (ok.bad()) return absl::InternalError(absl::StrCat("DICOM write: ", ok.text()));
  void* data = nullptr;
  offile_off_t written = 0;
  out.flushBuffer(data, written);
  buffer.resize(static_cast<size_t>(written));
  return buffer;
}

absl::StatusOr<int> WriteOodSet(const OodSetOptions& o) {
  const fs::path root = o.out_dir;
  fs::create_directories(root / "images");
  fs::create_directories(root / "masks");
  std::ofstream manifest(root / "manifest.jsonl", std::ios::trunc);
  if (!manifest) return absl::PermissionDeniedError(absl::StrCat("cannot write ", (root / "manifest.jsonl").string()));
  int written = 0, index = 0;
  for (OodPhase phase : o.phases) {
    for (int k = 0; k < o.slices_per_phase; ++k, ++index) {
      const uint64_t seed = o.seed * 1000003ull + static_cast<uint64_t>(k);  // same anatomy in every phase
      OodOptions po;
      po.size = o.size;
      po.phase = phase;
      po.no_liver_chance = o.no_liver_chance;
      const OodSlice s = MakeOodSlice(seed, po);
      const std::string id = absl::StrFormat("%05d", index);
      auto dcm = EncodeOodDicom(s, seed * 4 + static_cast<uint64_t>(phase));
      if (!dcm.ok()) return dcm.status();
      const std::string image = "images/" + id + ".dcm", lesions = "masks/" + id + "_lesions.png",
                        liver = "masks/" + id + "_liver.png";
      if (auto st = WriteFile((root / image).string(), *dcm); !st.ok()) return st;
      if (auto st = WritePng(root / lesions, s.lesion_labels, s.size, false); !st.ok()) return st;
      if (auto st = WritePng(root / liver, s.liver_mask, s.size, true); !st.ok()) return st;
      nlohmann::json facts = nlohmann::json::array();
      for (const auto& l : s.lesions) {
        facts.push_back({{"id", l.label}, {"diameter_mm", l.diameter_mm}, {"attenuation", TypeName(l.type)},
                         {"lobe", l.right_lobe ? "right" : "left"}});
      }
      const auto exprs = OodExpressions(s, seed, o.expressions_per_slice);
      for (size_t e = 0; e < exprs.size(); ++e) {
        std::vector<uint8_t> target(s.lesion_labels.size(), 0);
        for (size_t i = 0; i < target.size(); ++i) {
          for (int t : exprs[e].targets) target[i] |= s.lesion_labels[i] == t;
        }
        const std::string mask = absl::StrCat("masks/", id, "_e", e, ".png");
        if (auto st = WritePng(root / mask, target, s.size, true); !st.ok()) return st;
        nlohmann::json j = {{"image", image},       {"mask", mask},          {"expression", exprs[e].text},
                            {"kind", exprs[e].kind}, {"targets", exprs[e].targets}, {"split", "test"},
                            {"instances", lesions}, {"liver", liver},        {"lesions", facts},
                            {"image_id", id},       {"phase", OodPhaseName(phase)},
                            {"region", s.has_liver ? "liver" : "no_liver"},
                            {"phrasing", "ood"},    {"generator", "lsms-ood"}};
        manifest << j.dump() << "\n";
        ++written;
      }
    }
  }
  return written;
}

}  // namespace lsms::ood

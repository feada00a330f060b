#include "tools/synth/dicom_writer.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/dicom/dicom_io.h"
#include "dcmtk/dcmdata/dctk.h"

namespace lsms::synth {

namespace {

uint64_t SplitMix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// A UID under the 2.25 (UUID-derived) root from `seed` and a role number.
std::string SeededUid(uint64_t seed, uint64_t role) {
  const uint64_t hi = (SplitMix(seed * 31 + role) % 9000000000000000000ull) + 1000000000000000000ull;
  const uint64_t lo = SplitMix(seed * 131 + role + 7) % 10000000000000000000ull;
  return absl::StrFormat("2.25.%d%019d", hi, lo);
}

}  // namespace

absl::StatusOr<std::string> EncodeCtSlice(const Image& hu, const CtSliceInfo& info) {
  DcmFileFormat ff;
  DcmDataset* ds = ff.getDataset();
  char uid[100];
  auto make_uid = [&](const char* root, uint64_t role) {
    return info.uid_seed ? SeededUid(info.uid_seed, role) : std::string(dcmGenerateUniqueIdentifier(uid, root));
  };
  auto put = [&](const DcmTagKey& tag, const std::string& v) { ds->putAndInsertString(tag, v.c_str()); };
  put(DCM_SOPClassUID, UID_CTImageStorage);
  put(DCM_SOPInstanceUID, make_uid(SITE_INSTANCE_UID_ROOT, 1));
  put(DCM_StudyInstanceUID, make_uid(SITE_STUDY_UID_ROOT, 2));
  put(DCM_SeriesInstanceUID, info.series_uid.empty() ? make_uid(SITE_SERIES_UID_ROOT, 3) : info.series_uid);
  put(DCM_FrameOfReferenceUID, make_uid(SITE_INSTANCE_UID_ROOT, 4));
  put(DCM_Modality, "CT");
  put(DCM_PatientName, "SYNTHETIC^PHANTOM");
  put(DCM_PatientID, info.patient_id);
  put(DCM_PatientBirthDate, "");
  put(DCM_PatientSex, "O");
  put(DCM_StudyDate, "20260101");
  put(DCM_StudyTime, "000000");
  put(DCM_StudyID, "SYNTH");
  put(DCM_AccessionNumber, "");
  put(DCM_ReferringPhysicianName, "");
  put(DCM_Manufacturer, "lsms-synth");
  put(DCM_SeriesNumber, "1");
  put(DCM_InstanceNumber, std::to_string(info.instance_number));
  put(DCM_ImageType, "DERIVED\\SECONDARY\\AXIAL");
  put(DCM_SeriesDescription, "Synthetic abdominal CT phantom (not a patient)");
  put(DCM_ImagePositionPatient, absl::StrCat(-hu.cols * info.spacing_mm / 2, "\\", -hu.rows * info.spacing_mm / 2, "\\0"));
  put(DCM_ImageOrientationPatient, "1\\0\\0\\0\\1\\0");
  put(DCM_SliceThickness, "5");
  put(DCM_KVP, "120");
  put(DCM_PhotometricInterpretation, "MONOCHROME2");
  ds->putAndInsertUint16(DCM_SamplesPerPixel, 1);
  ds->putAndInsertUint16(DCM_Rows, static_cast<Uint16>(hu.rows));
  ds->putAndInsertUint16(DCM_Columns, static_cast<Uint16>(hu.cols));
  ds->putAndInsertUint16(DCM_BitsAllocated, 16);
  ds->putAndInsertUint16(DCM_BitsStored, 16);
  ds->putAndInsertUint16(DCM_HighBit, 15);
  ds->putAndInsertUint16(DCM_PixelRepresentation, 1);
  put(DCM_PixelSpacing, absl::StrCat(info.spacing_mm, "\\", info.spacing_mm));
  put(DCM_RescaleSlope, absl::StrCat(info.rescale_slope));
  put(DCM_RescaleIntercept, absl::StrCat(info.rescale_intercept));
  put(DCM_RescaleType, "HU");
  put(DCM_WindowCenter, "40");
  put(DCM_WindowWidth, "400");
  std::vector<Sint16> px(hu.data.size());
  for (size_t i = 0; i < px.size(); ++i) {
    double stored = std::round((hu.data[i] - info.rescale_intercept) / info.rescale_slope);
    px[i] = static_cast<Sint16>(std::clamp(stored, -32768.0, 32767.0));
  }
  ds->putAndInsertUint16Array(DCM_PixelData, reinterpret_cast<const Uint16*>(px.data()),
                              static_cast<unsigned long>(px.size()));
  return WritePart10(ff);
}

}  // namespace lsms::synth

#include "server/dicom/dicom_seg.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "dcmtk/dcmdata/dctk.h"
#include "dcmtk/dcmfg/fgderimg.h"
#include "dcmtk/dcmfg/fgfracon.h"
#include "dcmtk/dcmfg/fgpixmsr.h"
#include "dcmtk/dcmfg/fgplanor.h"
#include "dcmtk/dcmfg/fgplanpo.h"
#include "dcmtk/dcmseg/segdoc.h"
#include "dcmtk/dcmseg/segment.h"
#include "server/dicom/dicom_io.h"

namespace lsms {
namespace {

absl::Status Check(const OFCondition& c, const char* what) {
  if (c.good()) return absl::OkStatus();
  return absl::InternalError(absl::StrCat("DICOM SEG: ", what, ": ", c.text()));
}

std::string Get(DcmItem* ds, const DcmTagKey& tag, int pos = -1) {
  OFString v;
  OFCondition c = pos < 0 ? ds->findAndGetOFStringArray(tag, v) : ds->findAndGetOFString(tag, v, pos);
  return c.good() ? std::string(v.c_str()) : "";
}

}  // namespace

absl::Status CheckSegSource(const SegSourceUids& uids) {
  std::vector<std::string> missing;
  for (const auto& [value, name] : {std::pair<const std::string*, const char*>{&uids.study, "StudyInstanceUID"},
                                    {&uids.series, "SeriesInstanceUID"},
                                    {&uids.sop_class, "SOPClassUID"},
                                    {&uids.sop_instance, "SOPInstanceUID"},
                                    {&uids.frame_of_reference, "FrameOfReferenceUID"}}) {
    if (value->empty()) missing.push_back(name);
  }
  if (missing.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("include_dicom_seg needs the source's ", absl::StrJoin(missing, ", "), " (absent)"));
}

absl::StatusOr<std::string> MakeDicomSeg(absl::string_view source, const std::vector<uint8_t>& mask, int rows,
                                         int cols, const std::string& model_version) {
  if (rows <= 0 || cols <= 0 || rows > 65535 || cols > 65535 || mask.size() != static_cast<size_t>(rows) * cols) {
    return absl::InvalidArgumentError("DICOM SEG: mask size does not match the image");
  }
  auto src = ReadPart10(source);
  if (!src.ok()) return src.status();
  DcmDataset* ds = (*src)->getDataset();
  // Without them DCMTK cannot write a SEG (issue 29 row 13: INTERNAL).
  if (auto st = CheckSegSource({Get(ds, DCM_StudyInstanceUID), Get(ds, DCM_SeriesInstanceUID),
                                Get(ds, DCM_SOPClassUID), Get(ds, DCM_SOPInstanceUID),
                                Get(ds, DCM_FrameOfReferenceUID)});
      !st.ok()) {
    return st;
  }

  IODGeneralEquipmentModule::EquipmentInfo eq("lsms-serve", "LSMS", "0",
                                              model_version.empty() ? "unknown" : model_version);
  ContentIdentificationMacro ci("1", "LESION_SEG", "Lesion referred to by the expression", "LSMS^Service");
  DcmSegmentation* raw = nullptr;
  if (auto st = Check(DcmSegmentation::createBinarySegmentation(raw, static_cast<Uint16>(rows),
                                                                static_cast<Uint16>(cols), eq, ci),
                      "create");
      !st.ok()) {
    return st;
  }
  std::unique_ptr<DcmSegmentation> seg(raw);
  if (auto st = Check(seg->importFromSourceImage(*ds), "import source"); !st.ok()) return st;
  seg->getSeries().setSeriesNumber("9001");
  seg->getSeries().setSeriesDescription("LSMS referring-expression segmentation");

  DcmSegment* segment = nullptr;
  if (auto st = Check(DcmSegment::create(segment, "Referred lesion",
                                         CodeSequenceMacro("49755003", "SCT", "Morphologically Abnormal Structure"),
                                         CodeSequenceMacro("52988006", "SCT", "Lesion"), DcmSegTypes::SAT_AUTOMATIC,
                                         absl::StrCat("LSMS ", model_version).c_str()),
                      "segment");
      !st.ok()) {
    return st;
  }
  segment->getGeneralAnatomyCode().getAnatomicRegion().set("10200004", "SCT", "Liver");
  segment->setRecommendedDisplayCIELabValue(21169, 53249, 49279);  // red
  Uint16 segment_number = 0;
  if (auto st = Check(seg->addSegment(segment, segment_number), "add segment"); !st.ok()) {
    delete segment;
    return st;
  }

  // Shared functional groups: pixel measures and orientation from the source.
  FGPixelMeasures pm;
  std::string spacing = Get(ds, DCM_PixelSpacing);
  pm.setPixelSpacing(spacing.empty() ? "1\\1" : spacing.c_str());
  std::string thickness = Get(ds, DCM_SliceThickness, 0);
  pm.setSliceThickness(thickness.empty() ? "1" : thickness.c_str());
  if (auto st = Check(seg->addForAllFrames(pm), "pixel measures"); !st.ok()) return st;
  FGPlaneOrientationPatient po;
  std::string o[6];
  for (int i = 0; i < 6; ++i) o[i] = Get(ds, DCM_ImageOrientationPatient, i);
  if (o[0].empty()) {
    const char* d[6] = {"1", "0", "0", "0", "1", "0"};
    for (int i = 0; i < 6; ++i) o[i] = d[i];
  }
  po.setImageOrientationPatient(o[0].c_str(), o[1].c_str(), o[2].c_str(), o[3].c_str(), o[4].c_str(), o[5].c_str());
  if (auto st = Check(seg->addForAllFrames(po), "orientation"); !st.ok()) return st;

  // Per frame: position, frame content, derivation from the source instance.
  FGPlanePosPatient pp;
  std::string p[3];
  for (int i = 0; i < 3; ++i) p[i] = Get(ds, DCM_ImagePositionPatient, i);
  pp.setImagePositionPatient(p[0].empty() ? "0" : p[0].c_str(), p[1].empty() ? "0" : p[1].c_str(),
                             p[2].empty() ? "0" : p[2].c_str());
  FGFrameContent fc;
  fc.setDimensionIndexValues(segment_number, 0);
  fc.setDimensionIndexValues(1, 1);
  const std::string sop_class = Get(ds, DCM_SOPClassUID), sop_instance = Get(ds, DCM_SOPInstanceUID);
  OFVector<ImageSOPInstanceReferenceMacro> refs(1);
  refs[0].setReferencedSOPClassUID(sop_class.c_str());
  refs[0].setReferencedSOPInstanceUID(sop_instance.c_str());
  std::unique_ptr<FGDerivationImage> derivation(
      DcmSegmentation::createDerivationImageFG(refs, "Segmentation by the LSMS model from a referring expression"));
  if (!derivation) return absl::InternalError("DICOM SEG: derivation image FG");
  OFVector<FGBase*> per_frame;
  per_frame.push_back(&pp);
  per_frame.push_back(&fc);
  per_frame.push_back(derivation.get());
  std::vector<Uint8> frame(mask.begin(), mask.end());
  if (auto st = Check(seg->addFrame(frame.data(), segment_number, per_frame), "add frame"); !st.ok()) return st;

  char dim_uid[100];
  dcmGenerateUniqueIdentifier(dim_uid, SITE_INSTANCE_UID_ROOT);
  seg->getDimensions().addDimensionIndex(DCM_ReferencedSegmentNumber, dim_uid, DCM_SegmentIdentificationSequence,
                                         "ReferencedSegmentNumber");
  seg->getDimensions().addDimensionIndex(DCM_ImagePositionPatient, dim_uid, DCM_PlanePositionSequence,
                                         "ImagePositionPatient");
  auto* series = new IODSeriesAndInstanceReferenceMacro::ReferencedSeriesItem;
  series->setSeriesInstanceUID(Get(ds, DCM_SeriesInstanceUID).c_str());
  auto* instance = new SOPInstanceReferenceMacro;
  instance->setReferencedSOPClassUID(sop_class.c_str());
  instance->setReferencedSOPInstanceUID(sop_instance.c_str());
  series->getReferencedInstanceItems().push_back(instance);
  seg->getCommonInstanceReference().getReferencedSeriesItems().push_back(series);

  DcmFileFormat out;
  if (auto st = Check(seg->writeDataset(*out.getDataset()), "write"); !st.ok()) return st;
  out.getDataset()->putAndInsertString(DCM_SegmentsOverlap, "NO");
  return WritePart10(out);
}

}  // namespace lsms

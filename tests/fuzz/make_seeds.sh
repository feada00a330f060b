#!/usr/bin/env bash
# Regenerates the committed seed corpora under tests/fuzz/corpus/ (small
# inputs mutate fast): one 64-pixel CT slice from lsms-synth in every transfer
# syntax the server decodes, DCMTK-made edge cases, and the hostile inputs of
# issue 29 (deep sequence nesting, a deflate bomb header, edited sizes).
# Inputs that made a target fail are added by hand as regress-<what>.<ext>
# and stay (tests/server/dicom_image_test.cc replays them).
# Usage: make_seeds.sh <build dir with tools/lsms-synth>
set -euo pipefail
build=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=$here/corpus
# Regression inputs (regress-*) found by fuzzing are kept as they are.
rm -f "$out"/dicom_decode/ct64-*.dcm "$out"/dicom_decode/nested-*.dcm "$out"/dicom_decode/truncated-*.dcm
mkdir -p "$out/dicom_decode" "$out/request_preprocess" "$out/tokenizer" "$out/safetensors" "$out/metrics_http"

"$build/tools/lsms-synth" --out "$work/s" --images 1 --size 64 --seed 5 --val_fraction 0 --test_fraction 0 >/dev/null
src=$(ls "$work"/s/images/*.dcm | head -1)
cp "$src" "$out/dicom_decode/ct64-explicit-le.dcm"
dcmconv +ti "$src" "$out/dicom_decode/ct64-implicit-le.dcm"
dcmconv +te "$src" "$out/dicom_decode/ct64-explicit-le2.dcm" 2>/dev/null || true
dcmconv +td "$src" "$out/dicom_decode/ct64-deflated.dcm"
dcmcjpeg +e1 "$src" "$out/dicom_decode/ct64-jpeg-lossless-sv1.dcm"
dcmcjpls "$src" "$out/dicom_decode/ct64-jpegls.dcm"
dcmcrle "$src" "$out/dicom_decode/ct64-rle.dcm"
rm -f "$out/dicom_decode/ct64-explicit-le2.dcm"

# Deeply nested sequences (row 1): 200 levels written with dump2dcm.
{
  echo "(0008,0060) CS [CT]"
  for i in $(seq 200); do echo "(0040,0275) SQ (Sequence with undefined length)"; echo "(fffe,e000) na (Item with undefined length)"; done
  for i in $(seq 200); do echo "(fffe,e00d) na (ItemDelimitationItem)"; echo "(fffe,e0dd) na (SequenceDelimitationItem)"; done
} > "$work/nested.txt"
dump2dcm +te "$work/nested.txt" "$out/dicom_decode/nested-200.dcm"

# Edited sizes (rows 7, 9): Rows/Columns and rescale values that lie.
edit() {  # edit <name> <dcmodify args...>
  local name=$1; shift
  cp "$src" "$out/dicom_decode/$name.dcm"
  dcmodify -nb "$@" "$out/dicom_decode/$name.dcm" >/dev/null
}
edit ct64-rows-4096 -m "(0028,0010)=4096" -m "(0028,0011)=4096"
edit ct64-rescale-nan -m "(0028,1053)=NaN" -m "(0028,1052)=1e308"
edit ct64-no-rescale -e "(0028,1053)" -e "(0028,1052)"
edit ct64-spacing-huge -m "(0028,0030)=1e308\\1e308"
head -c 300 "$src" > "$out/dicom_decode/truncated-header.dcm"

# Requests: serialized SegmentRequest messages (protoc --encode from text).
proto_dir=$here/../../proto
python3 - "$out/dicom_decode/ct64-explicit-le.dcm" "$work" <<'PY'
import struct, sys
dcm = open(sys.argv[1], 'rb').read()
esc = lambda b: ''.join('\\%03o' % c for c in b)
pixels = struct.pack('<%dh' % (32 * 32), *[(i * 7) % 400 - 100 for i in range(32 * 32)])
open(sys.argv[2] + '/dicom.txt', 'w').write(
    'request_id: "r1" dicom: "%s" expression: "the largest lesion" output { include_dicom_seg: true }' % esc(dcm))
open(sys.argv[2] + '/raw.txt', 'w').write(
    'request_id: "r2" raw { dtype: DTYPE_INT16 rows: 32 columns: 32 pixels: "%s" rescale_slope: 1 '
    'pixel_spacing { row_mm: 0.8 column_mm: 0.8 } } expression: "all lesions" threshold: 0.4 '
    'output { mask_encoding: 1 include_probability_map: true }' % esc(pixels))
PY
for r in dicom raw; do
  protoc -I"$proto_dir" --encode=lsms.v1.SegmentRequest lsms/v1/segmentation.proto < "$work/$r.txt" \
    > "$out/request_preprocess/$r.pb"
done
# Safetensors: a small F32 and an F16 tensor with metadata.
python3 - "$out/safetensors/small.safetensors" <<'PY'
import json, struct, sys
a = struct.pack('<6f', *[0.5 * i for i in range(6)])
b = struct.pack('<4e', 1.0, -2.0, 0.25, 65504.0)
header = {"__metadata__": {"format": "pt"}, "a": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
          "b": {"dtype": "F16", "shape": [4], "data_offsets": [24, 32]}}
h = json.dumps(header).encode()
open(sys.argv[1], 'wb').write(struct.pack('<Q', len(h)) + h + a + b)
PY
printf 'the largest hypodense lesion in the right lobe' > "$out/tokenizer/expression.txt"
printf 'Hypodense läsion Ä ## [UNK] [CLS]\x01\xff\xfe' > "$out/tokenizer/odd-bytes.txt"
printf 'GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n' > "$out/metrics_http/get-metrics.txt"
printf 'GET / HTTP/1.1\r\n\r\n' > "$out/metrics_http/get-root.txt"
printf 'POST /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello' > "$out/metrics_http/post.txt"
ls -la "$out"/*

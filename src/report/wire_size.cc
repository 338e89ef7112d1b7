// SPDX-License-Identifier: Apache-2.0
#include "report/wire_size.h"

#include <brotli/encode.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <new>

#include "tfjs_quant/report.h"

namespace tfq {

struct WireSize::Impl {
  z_stream z{};
  BrotliEncoderState* br = nullptr;
  std::array<uint8_t, 1 << 16> buf;  // in Impl: allocated without throwing
};

WireSize::WireSize() : impl_(new (std::nothrow) Impl) {
  if (!impl_) return;
  // windowBits 15 + 16: a gzip wrapper, as Content-Encoding: gzip.
  const bool z_ok = deflateInit2(&impl_->z, kGzipLevel, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK;
  impl_->br = BrotliEncoderCreateInstance(nullptr, nullptr, nullptr);
  // A 1 MiB window keeps the four encoders of inspect small next to one tensor.
  ok_ = z_ok && impl_->br && BrotliEncoderSetParameter(impl_->br, BROTLI_PARAM_QUALITY, kBrotliQuality) &&
        BrotliEncoderSetParameter(impl_->br, BROTLI_PARAM_LGWIN, kBrotliWindowBits);
  if (!z_ok) impl_->z.state = nullptr;
}

WireSize::~WireSize() {
  if (!impl_) return;
  if (impl_->z.state) deflateEnd(&impl_->z);
  if (impl_->br) BrotliEncoderDestroyInstance(impl_->br);
}

namespace {
void Deflate(z_stream& z, std::array<uint8_t, 1 << 16>& buf, const uint8_t* in, size_t n, int flush, uint64_t* out) {
  z.next_in = const_cast<Bytef*>(in);
  z.avail_in = static_cast<uInt>(n);
  do {
    z.next_out = buf.data();
    z.avail_out = static_cast<uInt>(buf.size());
    deflate(&z, flush);
    *out += buf.size() - z.avail_out;
  } while (z.avail_out == 0 || (flush == Z_FINISH && z.avail_in > 0));
}
void Brotli(BrotliEncoderState* s, const uint8_t* in, size_t n, BrotliEncoderOperation op, uint64_t* out) {
  size_t avail_in = n;
  const uint8_t* next_in = in;
  while (true) {
    size_t avail_out = 0;
    BrotliEncoderCompressStream(s, op, &avail_in, &next_in, &avail_out, nullptr, nullptr);
    size_t produced = 0;
    while (BrotliEncoderHasMoreOutput(s)) {
      BrotliEncoderTakeOutput(s, &produced);
      *out += produced;
    }
    if (avail_in == 0 && (op != BROTLI_OPERATION_FINISH || BrotliEncoderIsFinished(s))) break;
  }
}
}  // namespace

void WireSize::Add(std::span<const uint8_t> bytes) {
  if (!ok_) return;
  // zlib takes at most 4 GiB per call.
  constexpr size_t kChunk = size_t{1} << 30;
  for (size_t off = 0; off < bytes.size(); off += kChunk) {
    size_t n = std::min(kChunk, bytes.size() - off);
    Deflate(impl_->z, impl_->buf, bytes.data() + off, n, Z_NO_FLUSH, &gzip_);
    Brotli(impl_->br, bytes.data() + off, n, BROTLI_OPERATION_PROCESS, &brotli_);
  }
}

void WireSize::Finish() {
  if (!ok_) return;
  Deflate(impl_->z, impl_->buf, nullptr, 0, Z_FINISH, &gzip_);
  Brotli(impl_->br, nullptr, 0, BROTLI_OPERATION_FINISH, &brotli_);
}

}  // namespace tfq

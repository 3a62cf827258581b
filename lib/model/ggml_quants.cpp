#include "model/ggml_quants.h"

#include <cstring>
#include <stdexcept>

#include <c10/util/BFloat16.h>
#include <c10/util/Half.h>
#include <fmt/format.h>

namespace amkd {
namespace {

constexpr int64_t kQK = 32;    // elements per block of the simple quants
constexpr int64_t kQKK = 256;  // elements per super-block of the k-quants

// Type ids are ggml's (enum ggml_type); ids missing here are types amkd does not read.
constexpr struct {
  uint32_t id;
  GgmlType type;
} kTypes[] = {
    {0, {"F32", 1, 4}},        {1, {"F16", 1, 2}},        {2, {"Q4_0", kQK, 18}},
    {3, {"Q4_1", kQK, 20}},    {6, {"Q5_0", kQK, 22}},    {7, {"Q5_1", kQK, 24}},
    {8, {"Q8_0", kQK, 34}},    {10, {"Q2_K", kQKK, 84}},  {11, {"Q3_K", kQKK, 110}},
    {12, {"Q4_K", kQKK, 144}}, {13, {"Q5_K", kQKK, 176}}, {14, {"Q6_K", kQKK, 210}},
    {28, {"F64", 1, 8}},       {30, {"BF16", 1, 2}},
};

float half(const uint8_t* p) {
  uint16_t bits;
  std::memcpy(&bits, p, 2);
  return static_cast<float>(c10::Half(bits, c10::Half::from_bits()));
}

uint32_t u32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// Block layouts: the byte offsets of each field follow the structs in ggml-common.h.
void q4_0(const uint8_t* b, float* y) {
  const float d = half(b);
  const uint8_t* qs = b + 2;
  for (int j = 0; j < 16; ++j) {
    y[j] = static_cast<float>((qs[j] & 0xF) - 8) * d;
    y[j + 16] = static_cast<float>((qs[j] >> 4) - 8) * d;
  }
}

void q4_1(const uint8_t* b, float* y) {
  const float d = half(b), m = half(b + 2);
  const uint8_t* qs = b + 4;
  for (int j = 0; j < 16; ++j) {
    y[j] = static_cast<float>(qs[j] & 0xF) * d + m;
    y[j + 16] = static_cast<float>(qs[j] >> 4) * d + m;
  }
}

void q5_0(const uint8_t* b, float* y) {
  const float d = half(b);
  const uint32_t qh = u32(b + 2);
  const uint8_t* qs = b + 6;
  for (int j = 0; j < 16; ++j) {
    const int hi0 = ((qh >> j) << 4) & 0x10, hi1 = (qh >> (j + 12)) & 0x10;
    y[j] = static_cast<float>(((qs[j] & 0xF) | hi0) - 16) * d;
    y[j + 16] = static_cast<float>(((qs[j] >> 4) | hi1) - 16) * d;
  }
}

void q5_1(const uint8_t* b, float* y) {
  const float d = half(b), m = half(b + 2);
  const uint32_t qh = u32(b + 4);
  const uint8_t* qs = b + 8;
  for (int j = 0; j < 16; ++j) {
    const int hi0 = ((qh >> j) << 4) & 0x10, hi1 = (qh >> (j + 12)) & 0x10;
    y[j] = static_cast<float>((qs[j] & 0xF) | hi0) * d + m;
    y[j + 16] = static_cast<float>((qs[j] >> 4) | hi1) * d + m;
  }
}

void q8_0(const uint8_t* b, float* y) {
  const float d = half(b);
  for (int j = 0; j < kQK; ++j) y[j] = static_cast<float>(static_cast<int8_t>(b[2 + j])) * d;
}

void q2_k(const uint8_t* b, float* y) {
  const uint8_t* scales = b;
  const uint8_t* q = b + 16;
  const float d = half(b + 80), min = half(b + 82);
  int is = 0;
  for (int n = 0; n < kQKK; n += 128, q += 32) {
    for (int shift = 0; shift < 8; shift += 2) {
      for (int half_index = 0; half_index < 2; ++half_index) {
        const uint8_t sc = scales[is++];
        const float dl = d * static_cast<float>(sc & 0xF), ml = min * static_cast<float>(sc >> 4);
        for (int l = 0; l < 16; ++l)
          *y++ = dl * static_cast<float>((q[l + 16 * half_index] >> shift) & 3) - ml;
      }
    }
  }
}

void q3_k(const uint8_t* b, float* y) {
  const uint8_t* hm = b;
  const uint8_t* q = b + 32;
  const float d = half(b + 108);
  uint32_t aux[4];
  std::memcpy(aux, b + 96, 12);
  constexpr uint32_t kMask1 = 0x03030303, kMask2 = 0x0f0f0f0f;
  const uint32_t tmp = aux[2];
  aux[2] = ((aux[0] >> 4) & kMask2) | (((tmp >> 4) & kMask1) << 4);
  aux[3] = ((aux[1] >> 4) & kMask2) | (((tmp >> 6) & kMask1) << 4);
  aux[0] = (aux[0] & kMask2) | (((tmp >> 0) & kMask1) << 4);
  aux[1] = (aux[1] & kMask2) | (((tmp >> 2) & kMask1) << 4);
  int8_t scales[16];
  std::memcpy(scales, aux, 16);
  int is = 0;
  uint8_t m = 1;
  for (int n = 0; n < kQKK; n += 128, q += 32) {
    for (int shift = 0; shift < 8; shift += 2, m = static_cast<uint8_t>(m << 1)) {
      for (int half_index = 0; half_index < 2; ++half_index) {
        const float dl = d * static_cast<float>(scales[is++] - 32);
        for (int l = 0; l < 16; ++l) {
          const int i = l + 16 * half_index;
          const int v = ((q[i] >> shift) & 3) - ((hm[i] & m) ? 0 : 4);
          *y++ = dl * static_cast<float>(v);
        }
      }
    }
  }
}

// The 6-bit (scale, min) pair j of a Q4_K/Q5_K super-block.
void scale_min_k4(int j, const uint8_t* q, uint8_t& d, uint8_t& m) {
  if (j < 4) {
    d = q[j] & 63;
    m = q[j + 4] & 63;
  } else {
    d = static_cast<uint8_t>((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    m = static_cast<uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

// Q4_K and Q5_K share the scale layout; Q5_K adds a high bit per value from qh.
void q45_k(const uint8_t* b, float* y, bool five_bit) {
  const float d = half(b), min = half(b + 2);
  const uint8_t* scales = b + 4;
  const uint8_t* qh = five_bit ? b + 16 : nullptr;
  const uint8_t* q = five_bit ? b + 48 : b + 16;
  int is = 0;
  uint8_t u1 = 1, u2 = 2;
  for (int j = 0; j < kQKK; j += 64, q += 32, is += 2) {
    uint8_t sc, m;
    scale_min_k4(is, scales, sc, m);
    const float d1 = d * sc, m1 = min * m;
    scale_min_k4(is + 1, scales, sc, m);
    const float d2 = d * sc, m2 = min * m;
    for (int l = 0; l < 32; ++l) {
      const int hi = qh != nullptr && (qh[l] & u1) ? 16 : 0;
      *y++ = d1 * static_cast<float>((q[l] & 0xF) + hi) - m1;
    }
    for (int l = 0; l < 32; ++l) {
      const int hi = qh != nullptr && (qh[l] & u2) ? 16 : 0;
      *y++ = d2 * static_cast<float>((q[l] >> 4) + hi) - m2;
    }
    u1 = static_cast<uint8_t>(u1 << 2);
    u2 = static_cast<uint8_t>(u2 << 2);
  }
}

void q6_k(const uint8_t* b, float* y) {
  const uint8_t* ql = b;
  const uint8_t* qh = b + 128;
  const int8_t* sc = reinterpret_cast<const int8_t*>(b + 192);
  const float d = half(b + 208);
  for (int n = 0; n < kQKK; n += 128, y += 128, ql += 64, qh += 32, sc += 8) {
    for (int l = 0; l < 32; ++l) {
      const int is = l / 16;
      const int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
      const int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
      const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
      const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
      y[l] = d * static_cast<float>(sc[is] * q1);
      y[l + 32] = d * static_cast<float>(sc[is + 2] * q2);
      y[l + 64] = d * static_cast<float>(sc[is + 4] * q3);
      y[l + 96] = d * static_cast<float>(sc[is + 6] * q4);
    }
  }
}

}  // namespace

const GgmlType* ggml_type(uint32_t id) {
  for (const auto& t : kTypes)
    if (t.id == id) return &t.type;
  return nullptr;
}

void dequantize(uint32_t id, const uint8_t* src, float* dst, int64_t elements) {
  const GgmlType* type = ggml_type(id);
  if (type == nullptr || elements % type->block_elements != 0)
    throw std::logic_error(fmt::format("dequantize: bad type {} or count {}", id, elements));
  const int64_t blocks = elements / type->block_elements;
  void (*block_fn)(const uint8_t*, float*) = nullptr;
  switch (id) {
    case 0:
      std::memcpy(dst, src, elements * 4);
      return;
    case 1:
      for (int64_t i = 0; i < elements; ++i) dst[i] = half(src + 2 * i);
      return;
    case 30:
      for (int64_t i = 0; i < elements; ++i) {
        uint16_t bits;
        std::memcpy(&bits, src + 2 * i, 2);
        dst[i] = static_cast<float>(c10::BFloat16(bits, c10::BFloat16::from_bits()));
      }
      return;
    case 28:
      for (int64_t i = 0; i < elements; ++i) {
        double v;
        std::memcpy(&v, src + 8 * i, 8);
        dst[i] = static_cast<float>(v);
      }
      return;
    case 2:
      block_fn = q4_0;
      break;
    case 3:
      block_fn = q4_1;
      break;
    case 6:
      block_fn = q5_0;
      break;
    case 7:
      block_fn = q5_1;
      break;
    case 8:
      block_fn = q8_0;
      break;
    case 10:
      block_fn = q2_k;
      break;
    case 11:
      block_fn = q3_k;
      break;
    case 12:
      block_fn = [](const uint8_t* b, float* y) { q45_k(b, y, false); };
      break;
    case 13:
      block_fn = [](const uint8_t* b, float* y) { q45_k(b, y, true); };
      break;
    case 14:
      block_fn = q6_k;
      break;
  }
  for (int64_t i = 0; i < blocks; ++i)
    block_fn(src + i * type->block_bytes, dst + i * type->block_elements);
}

}  // namespace amkd

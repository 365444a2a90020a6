#pragma once
// oneDNN (Debian's libdnnl-dev): the bf16 matrix products on CPUs with AVX512_BF16.
#include <oneapi/dnnl/dnnl.h>
#include <dlfcn.h>

// Debian's oneDNN runs its parallel regions on OpenMP (libgomp, loaded with libdnnl). The
// project calls it from its own threads, one product per thread, so each calling thread sets
// its OpenMP team size to one. Found at run time: linking libgomp would need gcc's dev files.
static inline void csd_omp_single_thread(void) {
    static void (*set)(int) = 0;
    static int looked = 0;
    if (!looked) {
        set = (void (*)(int))dlsym(RTLD_DEFAULT, "omp_set_num_threads");
        looked = 1;
    }
    if (set) set(1);
}

#include <immintrin.h>
#include <stdint.h>

// Rounds a rows x cols fp32 matrix (row stride ld) to contiguous bfloat16 with AVX512_BF16's
// conversion (to nearest even; NaN stays NaN; subnormal inputs become zero, as in oneDNN's own
// reorders). Only called where oneDNN found AVX512_BF16, so the instructions exist.
__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
static inline void csd_pack_bf16_avx512(const float *src, long ld, long rows, long cols, uint16_t *dst) {
    for (long r = 0; r < rows; r++) {
        const float *s = src + r * ld;
        uint16_t *t = dst + r * cols;
        long j = 0;
        for (; j + 16 <= cols; j += 16) {
            __m256bh b = _mm512_cvtneps_pbh(_mm512_loadu_ps(s + j));
            _mm256_storeu_si256((__m256i *)(t + j), (__m256i)b);
        }
        if (j < cols) {
            __mmask16 m = (__mmask16)((1u << (cols - j)) - 1u);
            __m256bh b = _mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, s + j));
            _mm256_mask_storeu_epi16(t + j, m, (__m256i)b);
        }
    }
}

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

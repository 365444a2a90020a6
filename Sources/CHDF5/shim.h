#pragma once
#include <hdf5.h>
#include <stdio.h>
#include <string.h>

// HDF5 spells many constants as macros over run-time globals, which Swift cannot import.
// These wrappers give them names Swift can call.
static inline hid_t csd_h5p_default(void) { return H5P_DEFAULT; }
static inline hid_t csd_h5s_all(void) { return H5S_ALL; }
static inline hsize_t csd_h5s_unlimited(void) { return H5S_UNLIMITED; }
static inline hid_t csd_h5p_dataset_create(void) { return H5P_DATASET_CREATE; }
static inline hid_t csd_h5p_dataset_access(void) { return H5P_DATASET_ACCESS; }
static inline hid_t csd_h5p_group_create(void) { return H5P_GROUP_CREATE; }
static inline hid_t csd_h5p_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t csd_h5p_file_create(void) { return H5P_FILE_CREATE; }
static inline hid_t csd_h5t_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t csd_h5t_native_int64(void) { return H5T_NATIVE_INT64; }
static inline unsigned csd_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline unsigned csd_h5f_acc_excl(void) { return H5F_ACC_EXCL; }
static inline unsigned csd_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned csd_h5f_acc_rdwr(void) { return H5F_ACC_RDWR; }

// File (little-endian, fixed) and memory (native) element types used by CSDHDF5.
static inline hid_t csd_h5t_ieee_f32le(void) { return H5T_IEEE_F32LE; }
static inline hid_t csd_h5t_ieee_f64le(void) { return H5T_IEEE_F64LE; }
static inline hid_t csd_h5t_std_i8le(void) { return H5T_STD_I8LE; }
static inline hid_t csd_h5t_std_i16le(void) { return H5T_STD_I16LE; }
static inline hid_t csd_h5t_std_i32le(void) { return H5T_STD_I32LE; }
static inline hid_t csd_h5t_std_i64le(void) { return H5T_STD_I64LE; }
static inline hid_t csd_h5t_std_u8le(void) { return H5T_STD_U8LE; }
static inline hid_t csd_h5t_std_u16le(void) { return H5T_STD_U16LE; }
static inline hid_t csd_h5t_std_u32le(void) { return H5T_STD_U32LE; }
static inline hid_t csd_h5t_std_u64le(void) { return H5T_STD_U64LE; }
static inline hid_t csd_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t csd_h5t_native_uint8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t csd_h5t_c_s1(void) { return H5T_C_S1; }
static inline size_t csd_h5t_variable(void) { return H5T_VARIABLE; }
static inline hid_t csd_h5e_default(void) { return H5E_DEFAULT; }
static inline H5Z_filter_t csd_h5z_filter_deflate(void) { return H5Z_FILTER_DEFLATE; }
static inline H5Z_filter_t csd_h5z_filter_fletcher32(void) { return H5Z_FILTER_FLETCHER32; }

// IEEE binary16, little-endian, built the way h5py builds it (h5py maps it to numpy float16).
// The caller owns the returned type and closes it with H5Tclose.
static inline hid_t csd_h5t_ieee_f16le_create(void) {
    hid_t t = H5Tcopy(H5T_IEEE_F32LE);
    if (t < 0) return t;
    if (H5Tset_fields(t, 15, 10, 5, 0, 10) < 0 || H5Tset_size(t, 2) < 0 || H5Tset_ebias(t, 15) < 0) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

// Called before every HDF5 call CSDHDF5 makes. It keeps HDF5 from registering its exit handler
// (H5_term_library, at the library's first call): after a failed flush on a full disk that
// handler crashes on the half-closed file at exit, and CSDHDF5 closes its files itself. And it
// turns off the automatic printing of error stacks for the calling thread (per thread in the
// thread-safe build): CSDHDF5 reports errors as thrown Swift errors instead.
static inline void csd_h5_enter(void) {
    H5dont_atexit();
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

// The outermost call (the API function that failed) and the innermost description (the cause)
// of the calling thread's error stack: "H5Dread: data error detected by Fletcher32 checksum"
// rather than every frame between them.
typedef struct { const char *outer_func; const char *inner_desc; } csd_h5e_ends;

static herr_t csd_h5e_walk_ends(unsigned n, const H5E_error2_t *err, void *data) {
    csd_h5e_ends *ends = (csd_h5e_ends *)data;
    if (err == NULL) return 0;
    if (n == 0 && err->func_name) ends->outer_func = err->func_name;
    if (err->desc && err->desc[0]) ends->inner_desc = err->desc;
    return 0;
}

// Writes "outer function: innermost description" into `buffer`, clears the stack, and returns
// the length written (0 when the stack is empty).
static inline size_t csd_h5e_collect(char *buffer, size_t capacity) {
    csd_h5e_ends ends = { NULL, NULL };
    if (capacity > 0) buffer[0] = 0;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, csd_h5e_walk_ends, &ends);
    size_t length = 0;
    if (capacity > 0 && (ends.outer_func || ends.inner_desc)) {
        int written = snprintf(buffer, capacity, "%s%s%s", ends.outer_func ? ends.outer_func : "",
                               ends.outer_func && ends.inner_desc ? ": " : "", ends.inner_desc ? ends.inner_desc : "");
        length = written < 0 ? 0 : ((size_t)written < capacity ? (size_t)written : capacity - 1);
    }
    H5Eclear2(H5E_DEFAULT);
    return length;
}

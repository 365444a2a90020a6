#pragma once
#include <hdf5.h>

// HDF5 spells many constants as macros over run-time globals, which Swift cannot import.
// These wrappers give them names Swift can call.
static inline hid_t csd_h5p_default(void) { return H5P_DEFAULT; }
static inline hid_t csd_h5s_all(void) { return H5S_ALL; }
static inline hsize_t csd_h5s_unlimited(void) { return H5S_UNLIMITED; }
static inline hid_t csd_h5p_dataset_create(void) { return H5P_DATASET_CREATE; }
static inline hid_t csd_h5p_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t csd_h5t_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t csd_h5t_native_int64(void) { return H5T_NATIVE_INT64; }
static inline unsigned csd_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline unsigned csd_h5f_acc_excl(void) { return H5F_ACC_EXCL; }
static inline unsigned csd_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned csd_h5f_acc_rdwr(void) { return H5F_ACC_RDWR; }

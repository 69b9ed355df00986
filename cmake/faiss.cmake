# FAISS through its C API: libfaiss_c.a is built by scripts/build-faiss-c.sh
# from Debian's faiss source package; libfaiss.a and the headers come from
# Debian's libfaiss-dev.
find_library(FAISS_C_LIB faiss_c PATHS ${QUARRY_CACHE}/faiss-c/lib NO_DEFAULT_PATH)
find_library(FAISS_LIB NAMES libfaiss.a faiss REQUIRED)
find_library(OPENBLAS_LIB openblas REQUIRED)
find_library(LAPACK_LIB lapack REQUIRED)
find_package(OpenMP REQUIRED COMPONENTS C CXX)
if(NOT FAISS_C_LIB)
  message(FATAL_ERROR "libfaiss_c.a not found in ${QUARRY_CACHE}/faiss-c/lib: run scripts/setup.sh (or make demo) first")
endif()
# quarry_dense_stack: the libraries themselves (linked into quarry_lib, and
# into libquarry_dense.so for the executable, see dense/README.md).
add_library(quarry_dense_stack INTERFACE)
target_link_libraries(quarry_dense_stack INTERFACE ${FAISS_C_LIB} ${FAISS_LIB} ${OPENBLAS_LIB} ${LAPACK_LIB}
  OpenMP::OpenMP_C OpenMP::OpenMP_CXX stdc++)
target_link_libraries(quarry_lib INTERFACE quarry_dense_stack)
target_compile_definitions(quarry_lib INTERFACE QUARRY_HAVE_FAISS=1)

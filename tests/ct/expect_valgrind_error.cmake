# expect_valgrind_error.cmake — the constant-time test's self-check: run
# test_ct --self-check=MODE under valgrind and pass only if valgrind fails
# (exit code 1 from --error-exitcode=1) AND its report contains EXPECT, with
# the leaky function named in the stack. So the check cannot pass by
# accident (a crash, a missing valgrind) and proves the real test_ct would
# catch the same leak.
#   cmake -DVALGRIND=... -DEXE=... -DMODE=branch|index -DEXPECT=... -P this
execute_process(
  COMMAND ${VALGRIND} --error-exitcode=1 --track-origins=yes ${EXE} --self-check=${MODE}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(MODE STREQUAL "branch")
  set(fn leaky_compare)
else()
  set(fn leaky_sbox)
endif()
string(FIND "${err}" "${EXPECT}" at)
string(FIND "${err}" "${fn}" fn_at)
if(NOT rc EQUAL 1 OR at EQUAL -1 OR fn_at EQUAL -1)
  message(FATAL_ERROR "self-check ${MODE}: valgrind exit ${rc}; expected exit 1 and "
                      "\"${EXPECT}\" in ${fn}. valgrind said:\n${err}\n${out}")
endif()
message(STATUS "self-check ${MODE}: valgrind caught the leak in ${fn} (exit ${rc})")

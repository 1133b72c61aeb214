# expect_trace_leak.cmake — trace_ct's self-check: run trace_ct
# --self-check=MODE and pass only if it reports a leak (exit 1: not 0, not a
# harness error 2 or a crash) of the expected kind, with the planted function
# named in the report's location lines (addr2line / dladdr: the case's own
# title does not name it). So the check cannot pass by accident and proves
# the real trace_ct tests would catch the same leak.
#   branch: leaky_compare (memcmp-style early exit on a secret tag)
#           -> "control flow diverged"
#   index:  leaky_sbox (a table indexed by a secret byte; no branch)
#           -> "memory address diverged", with the control flow identical
#   cmake -DEXE=.../trace_ct -DMODE=branch|index -P this
execute_process(COMMAND ${EXE} --self-check=${MODE}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(MODE STREQUAL "branch")
  set(fn leaky_compare)
  set(kind "control flow diverged")
else()
  set(fn leaky_sbox)
  set(kind "memory address diverged at step")
endif()
string(FIND "${out}" "LEAK self-check" leak_at)
string(FIND "${out}" "${kind}" kind_at)
string(FIND "${out}" " ${fn} at " fn_at)
set(ok TRUE)
if(NOT rc EQUAL 1 OR leak_at EQUAL -1 OR kind_at EQUAL -1 OR fn_at EQUAL -1)
  set(ok FALSE)
endif()
if(MODE STREQUAL "index")
  string(FIND "${out}" "control flow identical" same_at)
  if(same_at EQUAL -1)
    set(ok FALSE)
  endif()
endif()
if(NOT ok)
  message(FATAL_ERROR "self-check ${MODE}: trace_ct exit ${rc}; expected exit 1 and "
                      "\"${kind}\" in ${fn}. trace_ct said:\n${out}\n${err}")
endif()
message(STATUS "self-check ${MODE}: trace_ct caught the leak in ${fn} (exit ${rc}):\n${out}")

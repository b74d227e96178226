"""Time loading a Marian model directory in transformers and CTranslate2 (run by hand).

    python scripts/bench_load_peers.py hf HF_DIR
    python scripts/bench_load_peers.py ct2 CT2_DIR

Prints the load time (after the library's import) and the process's peak RSS; compare with
`/usr/bin/time -f "%e s %M KB" transformer translate --model HF_DIR --input /dev/null`.
"""
import resource
import sys
import time

kind, path = sys.argv[1], sys.argv[2]
if kind == "hf":
    from transformers import MarianMTModel
    start = time.perf_counter()
    MarianMTModel.from_pretrained(path)
elif kind == "ct2":
    import ctranslate2
    start = time.perf_counter()
    ctranslate2.Translator(path, intra_threads=2)
else:
    sys.exit("first argument: hf or ct2")
print(f"{kind} {time.perf_counter() - start:.3f} s load; {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB peak RSS (whole process)")

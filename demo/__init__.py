"""The scripted `loa demo`: a realistic province, simulated people and one scene per domain. An outer
ring like sandbox/ and bench/: it may import every layer, and no production module imports it."""

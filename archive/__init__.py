"""Records and archives of directive documents (văn thư, lưu trữ)."""

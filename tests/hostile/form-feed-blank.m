datax

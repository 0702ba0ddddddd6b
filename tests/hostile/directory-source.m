file .

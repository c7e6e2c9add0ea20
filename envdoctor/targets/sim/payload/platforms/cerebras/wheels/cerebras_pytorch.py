backend = 'CSX'

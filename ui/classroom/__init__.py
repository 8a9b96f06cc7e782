"""The class wall: the teacher's Class page (pages/class.py) showing every student's training live, and what the
students' side gives it (a display name on the Train page, a card on each training job)."""

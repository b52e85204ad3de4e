# Blocks, reminders, previews and reunions arrive with the rhythms issue (#3).

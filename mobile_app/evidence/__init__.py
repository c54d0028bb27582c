"""Evidence of a visit on the phone: photos, the household's signature, the GPS fix.

Pure parts (no Kivy, no store): `photo` prepares a picture for storing (EXIF orientation,
downscale, JPEG, metadata stripped), `signature` renders drawn strokes as a small PNG,
`location` holds the fix state and the location sources (plyer on Android, a settable fake
elsewhere), `crypto` seals file bytes with AES-GCM under a key derived from the store's key,
`eviction` decides which files may leave the phone when storage runs low. I/O at the edges:
`vault.FileVault` writes and reads the sealed files; `mobile_app.store.files` owns their table.
See docs/mobile-app.md ("Evidence") and docs/attachments.md.
"""

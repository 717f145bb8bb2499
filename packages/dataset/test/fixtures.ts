import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';

/** A deterministic, textured, sharp RGB picture: a few random sinusoids plus fine noise. */
export function texture(seed: number, width = 256, height = 192): Buffer {
  let s = seed * 2654435761;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const waves = Array.from({ length: 6 }, () => ({
    fx: (rand() - 0.5) * 0.25,
    fy: (rand() - 0.5) * 0.25,
    phase: rand() * 6.28,
    c: [rand(), rand(), rand()],
  }));
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        let v = 128;
        for (const w of waves) v += 40 * w.c[c]! * Math.sin(w.fx * x + w.fy * y + w.phase);
        v += (rand() - 0.5) * 60;
        data[(y * width + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  }
  return data;
}

export const raw = (seed: number, width = 256, height = 192) =>
  sharp(texture(seed, width, height), { raw: { width, height, channels: 3 } });

/** What each special file in the generated dataset is expected to be flagged as. */
export interface Fixture {
  root: string;
  expect: Record<string, string[]>;
}

/**
 * Three classes of textured pictures plus every kind of trouble the dataset stage must notice:
 * resized / re-encoded / cropped copies, a truncated JPEG, a tiny image, a blurred one, an
 * exact copy under another label, a text file named .jpg, a 0-byte file, a symlink loop,
 * an empty class folder and a class whose only image is broken.
 */
export async function makeFixture(dir: string): Promise<Fixture> {
  const root = join(dir, 'photos');
  const classes = ['Mentha (mint)', 'Rosa rugosa', 'Salvia ñandú'];
  let seed = 1;
  for (const c of classes) {
    await mkdir(join(root, c), { recursive: true });
    for (let k = 1; k <= 9; k++)
      await raw(seed++)
        .jpeg({ quality: 92 })
        .toFile(join(root, c, `IMG_${String(k * 10).padStart(4, '0')}.jpg`));
  }
  const mint = join(root, classes[0]!);
  const rosa = join(root, classes[1]!);
  const salvia = join(root, classes[2]!);
  const original = join(mint, 'IMG_0010.jpg');
  await sharp(original).resize(208).png().toFile(join(mint, 'copy resized.png'));
  await sharp(original).webp({ quality: 60 }).toFile(join(mint, 'copy reencoded.webp'));
  await sharp(original)
    .extract({ left: 6, top: 5, width: 244, height: 182 })
    .jpeg({ quality: 85 })
    .toFile(join(mint, 'copy cropped.jpg'));
  const full = await raw(500).jpeg({ quality: 90 }).toBuffer();
  await writeFile(join(rosa, 'truncated.jpg'), full.subarray(0, Math.floor(full.length / 2)));
  await raw(501, 48, 40).png().toFile(join(rosa, 'tiny.png'));
  await raw(502).blur(6).jpeg({ quality: 92 }).toFile(join(salvia, 'blurred.jpg'));
  await raw(503, 1200, 120).jpeg().toFile(join(salvia, 'panorama.jpg'));
  await sharp({ create: { width: 200, height: 200, channels: 3, background: '#7a7a7a' } })
    .jpeg()
    .toFile(join(salvia, 'grey card.jpg'));
  await writeFile(
    join(salvia, 'copied from mint.jpg'),
    await (await import('node:fs/promises')).readFile(join(mint, 'IMG_0020.jpg')),
  );
  await writeFile(join(rosa, 'notes.jpg'), 'this is a text file, not a photo\n');
  await writeFile(join(rosa, 'empty.jpg'), '');
  await symlink('..', join(rosa, 'loop'));
  // Formats and EXIF: orientation 6 stored landscape means a portrait photo.
  await raw(504, 240, 160)
    .jpeg()
    .withMetadata({ orientation: 6 })
    .withExif({
      IFD0: { Make: 'Canon', Model: 'Canon EOS 80D' },
      IFD2: { DateTimeOriginal: '2023:05:01 10:11:12' },
    })
    .toFile(join(salvia, 'rotated.jpg'));
  await raw(505).gif().toFile(join(salvia, 'anim.gif'));
  await raw(506).tiff().toFile(join(salvia, 'scan.tiff'));
  await raw(507).avif({ quality: 60 }).toFile(join(salvia, 'modern.avif'));
  await mkdir(join(root, 'Empty class'));
  await mkdir(join(root, 'Broken class'));
  await writeFile(join(root, 'Broken class', 'only.jpg'), full.subarray(0, 200));
  return {
    root,
    expect: {
      [`${classes[1]}/truncated.jpg`]: ['corrupt'],
      [`${classes[1]}/tiny.png`]: ['too_small'],
      [`${classes[2]}/blurred.jpg`]: ['blurry'],
      [`${classes[2]}/panorama.jpg`]: ['extreme_aspect'],
      [`${classes[2]}/grey card.jpg`]: ['near_uniform'],
      [`${classes[1]}/notes.jpg`]: ['corrupt'],
      [`${classes[1]}/empty.jpg`]: ['corrupt'],
      'Broken class/only.jpg': ['corrupt'],
    },
  };
}

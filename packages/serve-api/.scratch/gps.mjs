import sharp from 'sharp';
const buf = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#3a7' } })
  .jpeg().withExif({ IFD0: { Make: 'TestCam', Orientation: '6' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '14/1 35/1 0/1', GPSLongitudeRef: 'E', GPSLongitude: '121/1 0/1 0/1' } }).toBuffer();
const m = await sharp(buf).metadata();
console.log(m.orientation, m.exif?.length, m.exif?.toString('latin1').includes('TestCam'), m.width, m.height);
const stripped = await sharp(buf).autoOrient().jpeg().toBuffer();
const m2 = await sharp(stripped).metadata(); console.log(m2.orientation, m2.exif, m2.width, m2.height, stripped.includes('Exif'));

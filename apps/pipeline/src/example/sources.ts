/** Where the example's files come from: public GitHub repositories, pinned at one commit each. */
export interface ExampleSource {
  /** Folder under the fetch dir, laid out as in ../shared. */
  dir: string;
  title: string;
  license: string;
  /** `owner/name` on GitHub and the commit the pinned files were taken from. */
  repo: string;
  commit: string;
  /**
   * `files`: each pinned file is `<path>/<its folder below dir>/<name>` in the repository.
   * `zip`: one archive at `<path>` that holds the pinned files at its root.
   */
  kind: 'files' | 'zip';
  path: string;
}

export const exampleSources: readonly ExampleSource[] = [
  {
    dir: 'datasets/ph-medicinal-leaf40',
    title:
      'ph-medicinal-leaf40: 4,971 leaf photos of 40 species (PhilMedic, Mendeley Data 10.17632/tsvdyhbphs.1)',
    license: 'CC BY 4.0',
    repo: 'mkmksto/ai221_final_project',
    commit: '81789617a2ad983855c45f7a1e56b6f407d0d941',
    kind: 'files',
    path: 'data/ph_med_plants_reduced_sizes',
  },
  {
    dir: 'models/mobilenet_v2_0.35_224_tm',
    title: 'MobileNetV2 0.35 224 (ImageNet), tfjs layers, exported by Teachable Machine',
    license: 'Apache-2.0',
    repo: 'googlecreativelab/teachablemachine-community',
    commit: '55aa0bb84acaa9efcbb9a2068eaefbb72cddae2c',
    kind: 'zip',
    path: 'snippets/converter/image/test/image-model.zip',
  },
];

/** GitHub serves a file of a repository at a commit from here; PLANTID_EXAMPLE_MIRROR stands in for it (tests). */
export const ORIGIN = 'https://raw.githubusercontent.com';

/** The URL of `path` (its segments as they are in the repository) in `source`'s repository. */
export function originUrl(source: ExampleSource, path: string, base = ORIGIN): string {
  const segments = path.split('/').map(encodeURIComponent).join('/');
  return `${base.replace(/\/+$/, '')}/${source.repo}/${source.commit}/${segments}`;
}

import { errors } from './errors.js';
import type { ServingModel } from './model.js';

/**
 * The model currently served. A swap is one assignment: requests that already hold the old
 * model finish on it, new ones get the new one, and the old one is freed when its last request ends.
 */
export class ModelHolder {
  private model: ServingModel | undefined;
  private loading: Promise<unknown> | undefined;
  /** Set once warm-up is done; cleared when shutting down so load balancers stop sending traffic. */
  ready = false;
  closing = false;

  get current(): ServingModel | undefined {
    return this.model;
  }

  /** What /readyz answers: a warm model in service and not shutting down. */
  get serving(): boolean {
    return this.ready && !this.closing && this.model !== undefined;
  }

  /** The model for one request; pair with `model.release()`. */
  acquire(): ServingModel {
    const model = this.model;
    if (this.closing) throw new errors.SHUTTING_DOWN('server is shutting down; retry on another instance');
    if (!model) throw new errors.MODEL_NOT_LOADED('no model loaded yet; retry when GET /readyz answers 200');
    model.acquire();
    return model;
  }

  /** Puts `next` in service; returns the previous model (the caller retires it). */
  swap(next: ServingModel): ServingModel | undefined {
    const previous = this.model;
    this.model = next;
    this.ready = true;
    return previous;
  }

  /** Runs one load at a time; a second concurrent reload is refused rather than queued. */
  async exclusive<T>(load: () => Promise<T>): Promise<T> {
    if (this.loading)
      throw new errors.RELOAD_IN_PROGRESS('another reload is in progress; retry when it finishes');
    const running = load();
    this.loading = running;
    try {
      return await running;
    } finally {
      this.loading = undefined;
    }
  }
}

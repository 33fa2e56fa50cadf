import { css } from "lit";

/** The look the settings sections share: a card with a heading, a line of intro, and a row of actions. */
export const sectionStyles = css`
  :host {
    display: block;
  }
  section {
    padding: var(--space-5);
    display: flex;
    flex-direction: column;
    gap: var(--space-4);
  }
  h2 {
    font-size: var(--size-xl);
  }
  .intro {
    margin: 0;
    color: var(--text-muted);
    line-height: 1.55;
  }
  .row {
    display: flex;
    gap: var(--space-2);
    align-items: center;
    flex-wrap: wrap;
  }
  .done {
    margin: 0;
    color: var(--ok);
    font-size: var(--size-sm);
    font-weight: 600;
  }
  @media (max-width: 600px) {
    section {
      padding: var(--space-4);
    }
  }
`;

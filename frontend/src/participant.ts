import './app.css';
import { mount } from 'svelte';
import App from './routes/join/App.svelte';

mount(App, { target: document.getElementById('app') as HTMLElement });
